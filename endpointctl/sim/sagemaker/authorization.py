"""What IAM authorizes each simulated SageMaker call with (``Simulator.authorizations``)."""

from __future__ import annotations

from typing import Any

from endpointctl.sim.iam import Authorization, arn, tagging


def resource_arn(kind: str, name: str) -> str:
    """An endpoint's or endpoint config's ARN (SageMaker lower-cases the name in it)."""
    return arn("sagemaker", f"{kind}/{name.lower()}")


def rollback_alarms(params: dict[str, Any]) -> list[str]:
    """The CloudWatch alarms a request's ``DeploymentConfig.AutoRollbackConfiguration`` names.
    SageMaker looks at them with the caller's permissions: "Ensure that your IAM execution role
    has permission to perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms you
    specify" ("Auto-Rollback Configuration and Monitoring",
    https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html)."""
    deployment = params.get("DeploymentConfig")
    rollback = deployment.get("AutoRollbackConfiguration") if isinstance(deployment, dict) else None
    alarms = rollback.get("Alarms") if isinstance(rollback, dict) else None
    return [str(a.get("AlarmName")) for a in alarms or [] if isinstance(a, dict) and a.get("AlarmName")]


def authorizations(operation: str, params: dict[str, Any]) -> list[Authorization]:
    """SageMaker's authorization of its calls (service authorization reference, "Actions
    defined by Amazon SageMaker"): ``CreateEndpoint`` on the endpoint and on its config; a
    create with ``Tags`` also needs ``sagemaker:AddTags`` ("To add tags while creating a
    resource, you must have sagemaker:AddTags",
    https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_id-based-policy-examples.html);
    a config with ``ExecutionRoleArn`` needs ``iam:PassRole`` with ``iam:PassedToService``, and
    with ``KmsKeyId`` SageMaker creates a grant on the caller's behalf (``kms:CreateGrant``,
    ``kms:DescribeKey`` through ``kms:ViaService``)."""
    action = f"sagemaker:{operation}"
    tags = tagging(params.get("Tags"))
    if operation == "CreateEndpoint":
        endpoint = resource_arn("endpoint", str(params.get("EndpointName")))
        config = resource_arn("endpoint-config", str(params.get("EndpointConfigName")))
        return [(action, endpoint, tags), (action, config, {})] + (
            [("sagemaker:AddTags", endpoint, tags)] if tags else []
        )
    if operation == "CreateEndpointConfig":
        config = resource_arn("endpoint-config", str(params.get("EndpointConfigName")))
        found = [(action, config, tags)] + ([("sagemaker:AddTags", config, tags)] if tags else [])
        role, key = params.get("ExecutionRoleArn"), params.get("KmsKeyId")
        if isinstance(role, str):
            found.append(("iam:PassRole", role, {"iam:PassedToService": "sagemaker.amazonaws.com"}))
        if isinstance(key, str):
            key_arn = key if key.startswith("arn:") else arn("kms", f"key/{key}")
            via = {"kms:ViaService": "sagemaker.us-east-1.amazonaws.com"}
            found += [
                ("kms:CreateGrant", key_arn, {**via, "kms:GrantIsForAWSResource": "true"}),
                ("kms:DescribeKey", key_arn, via),
            ]
        return found
    if operation == "UpdateEndpoint":  # authorized on the endpoint and on the new config
        endpoint = resource_arn("endpoint", str(params.get("EndpointName")))
        config = resource_arn("endpoint-config", str(params.get("EndpointConfigName")))
        return [(action, endpoint, {}), (action, config, {})] + [
            ("cloudwatch:DescribeAlarms", arn("cloudwatch", f"alarm:{name}"), {})
            for name in rollback_alarms(params)
        ]
    if operation in ("DescribeEndpoint", "DeleteEndpoint"):
        return [(action, resource_arn("endpoint", str(params.get("EndpointName"))), {})]
    if operation in ("DescribeEndpointConfig", "DeleteEndpointConfig"):
        return [(action, resource_arn("endpoint-config", str(params.get("EndpointConfigName"))), {})]
    if operation in ("ListTags", "AddTags", "DeleteTags"):
        return [(action, str(params.get("ResourceArn")), tags)]
    return [(action, "*", {})]
