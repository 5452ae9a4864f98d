"""SageMaker real-time endpoints: everything the infrastructure knows about this type.

Its function may create, describe and tag endpoints and endpoint configs of this account and
region, and update or delete only those carrying the controller's ownership tag and no other
stack's tag (``ml-endpoint-controller:stack``: two stacks in one account keep apart). SageMaker
announces endpoint status changes (and an update's deployment phases), so a create or an update
waits for them (the rule's source and detail-types are the catalog row's; the detail filter is
here) rather than polling.

A request may carry an inline ``EndpointConfig`` (a whole CreateEndpointConfig request), whose
``ExecutionRoleArn`` the function passes to SageMaker and whose ``KmsKeyId`` SageMaker uses on its
behalf. Its own context keys narrow which: ``sagemakerExecutionRoleArns`` (role ARNs) and
``sagemakerKmsKeyArns`` (key ARNs), each a list or a comma-separated string; by default any role
or key of this account, and only for SageMaker.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import autoscaling, nag
from infra.catalog import OWNER_TAG, STACK_TAG
from infra.endpoint_types.base import EndpointTypeInfra
from infra.endpoint_types.sagemaker import components, unmanaged
from infra.endpoint_types.sagemaker.alarms import TRACKING_ALARMS
from infra.endpoint_types.sagemaker.settings import SageMakerSettings
from infra.nag import NagArns
from infra.polling import backoff_after

#: The resource kinds the function creates, as their ARNs name them.
KINDS = ("endpoint", "endpoint-config")
#: Application Auto Scaling's service-linked role for SageMaker variants, and the principal it trusts.


class SageMakerInfra(EndpointTypeInfra[SageMakerSettings]):
    name = "sagemaker"
    settings_type = SageMakerSettings
    instance_quotas = (
        True  # "<instance type> for endpoint usage" (controller/providers/sagemaker/instances.py)
    )
    # Real-time endpoints provision instances and pull a container: not ready in under 2 min.
    # (Used only when events are off, i.e. never by default; kept for symmetry.)
    poll_policy = backoff_after(120)
    # Source and detail-types (the catalog row's: ``SageMaker Endpoint State Change`` and, during an
    # update, ``SageMaker Endpoint Deployment State Change``, https://docs.aws.amazon.com/sagemaker/
    # latest/dg/automating-sagemaker-with-eventbridge.html), and of those only what a waiting
    # lifecycle acts on: a status that ends a wait, or an update's phase worth recording in its
    # execution history (``endpointctl watch`` shows it): a deployment's new phase (the events'
    # ``PendingDeploymentSummary``, whose variants' ``VariantStatus`` say Creating, ActivatingTraffic,
    # Baking; the summary always names its target config, a scalar moto's matcher reads too), or
    # the update's ``ROLLING_BACK``. A create's ``CREATING`` (and an update's bare ``UPDATING``) are
    # dropped here: creates pay no invocation for them. Not the tags: SageMaker's events carry them
    # as a map in the documented example, but other shapes (a Key/Value list) and events without the
    # controller's tag (crowded out by the user's 50) would be dropped, and a wait would last until
    # its fallback look instead. The function ignores every endpoint no lifecycle of its own waits
    # for: functions/controller/steps/readiness.py ``resume`` looks the parked task token up by
    # endpoint, and an event without one changes nothing (it only counts StateChangeEventsIgnored).
    # Upper snake case in the events; DescribeEndpoint's spelling tolerated too. Other changes (an
    # endpoint deleted under a waiting create, say) are caught by the fallback look.
    state_change_detail = {
        "$or": [
            {
                "EndpointStatus": [
                    "IN_SERVICE",
                    "FAILED",
                    "UPDATE_ROLLBACK_FAILED",
                    "ROLLING_BACK",
                    "InService",
                    "Failed",
                    "UpdateRollbackFailed",
                    "RollingBack",
                ]
            },
            {"PendingDeploymentSummary": {"EndpointConfigName": [{"exists": True}]}},
        ]
    }

    def grant(self, function: lambda_.Function) -> None:
        stack = Stack.of(function)
        endpoints, configs = (
            stack.format_arn(service="sagemaker", resource=kind, resource_name="*") for kind in KINDS
        )
        # What this stack made (or adopted) carries its stack tag; what no stack tag marks was made
        # before the tag existed. Another stack's resource is never this stack's to change.
        this_stack = {f"aws:ResourceTag/{STACK_TAG}": stack.stack_name}
        # One statement per resource kind: each action on the kinds the service authorization
        # reference lists for it (CreateEndpoint and UpdateEndpoint are authorized on the endpoint
        # and on its config).
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="Endpoints",
                actions=["sagemaker:CreateEndpoint", "sagemaker:DescribeEndpoint", "sagemaker:ListTags"],
                resources=[endpoints],
            )
        )
        # AddTags on endpoints and configs: a create tags what it makes, and an update with
        # options.adopt tags the endpoint it takes over, before it updates it; never one that carries
        # another stack's tag, and never with another stack's tag (AddTags overwrites: else a bug
        # could claim another stack's endpoint, then delete it).
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="TagOnlyForThisStack",
                actions=["sagemaker:AddTags"],
                resources=[endpoints, configs],
                conditions={
                    "StringEqualsIfExists": {
                        **this_stack,
                        f"aws:RequestTag/{STACK_TAG}": stack.stack_name,
                    }
                },
            )
        )
        # An update changes only endpoints that carry the ownership tag (created, or adopted and
        # tagged first), and no other stack's tag: even a bug cannot update an endpoint made
        # elsewhere. The new config may be anyone's (EndpointConfigs, below).
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="UpdateOnlyEndpointsTheControllerOwns",
                actions=["sagemaker:UpdateEndpoint"],
                resources=[endpoints],
                conditions={
                    "StringLike": {f"aws:ResourceTag/{OWNER_TAG}": "*"},
                    "StringEqualsIfExists": this_stack,
                },
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="EndpointConfigs",
                actions=[
                    "sagemaker:CreateEndpoint",
                    "sagemaker:UpdateEndpoint",
                    "sagemaker:CreateEndpointConfig",
                    "sagemaker:DescribeEndpointConfig",
                    "sagemaker:ListTags",
                ],
                resources=[configs],
            )
        )
        # No endpoint config is deleted while any endpoint of the account uses it
        # (controller/providers/sagemaker/usage.py): ListEndpoints names them, DescribeEndpoint
        # (above) tells each one's config. ListEndpoints has no resource type (the Service
        # Authorization Reference lists none for it): only "*".
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="FindEndpointsUsingAConfig", actions=["sagemaker:ListEndpoints"], resources=["*"]
            )
        )
        components.grant(function)  # a delete never removes an endpoint under the controller's components
        # Autoscaling survives updates (controller/providers/sagemaker/scaling.py): the variants in
        # an update's way are deregistered and registered again; a delete deregisters them too,
        # SageMaker calling it with the caller's permissions. Describe* have no resource type.
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ReadVariantScaling",
                actions=[
                    "application-autoscaling:DescribeScalableTargets",
                    "application-autoscaling:DescribeScalingPolicies",
                ],
                resources=["*"],
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="KeepVariantScaling",
                actions=[
                    "application-autoscaling:RegisterScalableTarget",
                    "application-autoscaling:DeregisterScalableTarget",
                    "application-autoscaling:PutScalingPolicy",
                ],
                resources=[
                    stack.format_arn(
                        service="application-autoscaling", resource="scalable-target", resource_name="*"
                    )
                ],
            )
        )
        # Application Auto Scaling acts on SageMaker and CloudWatch with its caller's permissions,
        # and checks them before it acts ("Permissions required for API actions on target services
        # and CloudWatch", https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html;
        # "Permissions validation", .../security_iam_permission_validation.html): registering a
        # variant again needs SageMaker's DescribeEndpoint, DescribeEndpointConfig (granted above)
        # and UpdateEndpointWeightsAndCapacities; putting back a target tracking policy creates its
        # CloudWatch alarms, and deregistering deletes them (named TargetTracking-<resource id>-...,
        # the pattern the service-linked role's own policy, AWSApplicationAutoscalingSageMaker-
        # EndpointPolicy, is scoped to). Without these an instance-type update of an autoscaled
        # endpoint would take its scaling off and fail to put it back. UpdateEndpointWeightsAndCapacities
        # carries no ownership condition: the service validates it on its own request, whose
        # resource tags the function cannot know to match.
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="VariantScalingOnSageMaker",
                actions=["sagemaker:UpdateEndpointWeightsAndCapacities"],
                resources=[endpoints],
            )
        )
        autoscaling.grant_tracking_alarms(function, sid="VariantScalingAlarms", alarms=TRACKING_ALARMS)
        # A guarded update's rollback alarms, and the service-linked role a registration may create
        # (infra/autoscaling.py says why, with the documents).
        autoscaling.grant_rollback_alarms(function)
        autoscaling.grant_service_linked_role(function)
        # Even a bug cannot delete an endpoint or config the controller did not create, nor one
        # another stack of it did.
        for sid, action, resource in (
            ("DeleteOnlyEndpointsTheControllerCreated", "sagemaker:DeleteEndpoint", endpoints),
            ("DeleteOnlyConfigsTheControllerCreated", "sagemaker:DeleteEndpointConfig", configs),
        ):
            function.add_to_role_policy(
                iam.PolicyStatement(
                    sid=sid,
                    actions=[action],
                    resources=[resource],
                    conditions={
                        "StringLike": {f"aws:ResourceTag/{OWNER_TAG}": "*"},
                        "StringEqualsIfExists": this_stack,
                    },
                )
            )
        # An inline EndpointConfig's ExecutionRoleArn: "To be able to pass this role to Amazon
        # SageMaker AI, the caller of this action must have the iam:PassRole permission" (the
        # CreateEndpointConfig API reference); only to SageMaker (iam:PassedToService,
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="PassExecutionRolesToSageMaker",
                actions=["iam:PassRole"],
                resources=list(self.settings.execution_role_arns) or [self._default_roles(stack)],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        # Its KmsKeyId: CreateEndpoint needs kms:CreateGrant "(required only if the associated
        # EndpointConfig has a KmsKeyId specified)" (SageMaker API permissions reference,
        # https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html), and
        # SageMaker describes the key it is given; both only through SageMaker (kms:ViaService,
        # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="EndpointConfigKeysThroughSageMaker",
                actions=["kms:CreateGrant", "kms:DescribeKey"],
                resources=list(self.settings.kms_key_arns) or [self._default_keys(stack)],
                conditions={"StringEquals": {"kms:ViaService": f"sagemaker.{stack.region}.amazonaws.com"}},
            )
        )

    def unmanaged_delete_role(self, scope: Construct, function: lambda_.Function) -> iam.Role | None:
        """With ``allowUnmanagedDeletes``, ``action: delete`` may remove endpoints the controller did
        not create; the function's own role may not (its delete statements need the ownership
        tag), so such a delete assumes this role, which the rollback never does: a rollback can
        delete only what carries the tag."""
        self.unmanaged_role = unmanaged.delete_role(scope, function, title=self.title)
        return self.unmanaged_role

    @staticmethod
    def _default_roles(stack: Stack) -> str:
        return stack.format_arn(service="iam", region="", resource="role", resource_name="*")

    @staticmethod
    def _default_keys(stack: Stack) -> str:
        return stack.format_arn(service="kms", resource="key", resource_name="*")

    unmanaged_role: iam.Role | None = None

    def acknowledge(self, function: lambda_.Function, arns: NagArns) -> None:
        if function.role is None:
            return
        if self.unmanaged_role is not None:
            for kind in KINDS:
                nag.ack(
                    self.unmanaged_role,
                    f"IAM5[Resource::{arns.arn('sagemaker', f'{kind}/*')}]",
                    f"allowUnmanagedDeletes: action delete may remove SageMaker {kind}s the controller "
                    "did not create, named by each request; only the delete step assumes this role, "
                    "never a rollback.",
                )
            nag.ack(
                self.unmanaged_role,
                f"IAM5[Resource::{arns.arn('cloudwatch', f'alarm:{TRACKING_ALARMS}')}]",
                "Deleting an endpoint whose variants scale by target tracking: deregistering them "
                "deletes the alarms Application Auto Scaling made for them (named by the service, "
                "TargetTracking-endpoint/...), with the caller's permissions; only those alarms.",
            )
            nag.ack(
                self.unmanaged_role,
                f"IAM5[Resource::{arns.arn('application-autoscaling', 'scalable-target/*')}]",
                "Deleting an endpoint whose variants scale: SageMaker deregisters them with the "
                "caller's permissions. Scalable targets' ARNs carry ids Application Auto Scaling "
                "assigns, unknown until registered; only deregistering, only this account and region.",
            )
        nag.ack(
            function.role,
            f"IAM5[Resource::{arns.arn('cloudwatch', f'alarm:{TRACKING_ALARMS}')}]",
            "The alarms Application Auto Scaling makes for a variant's target tracking policy, named "
            "by the service (TargetTracking-endpoint/<name>/variant/<variant>-Alarm...-<uuid>): it "
            "creates and deletes them with the caller's permissions when scaling is put back or taken "
            "off; only those alarms, this account and region.",
        )
        nag.ack(
            function.role,
            f"IAM5[Resource::{arns.arn('cloudwatch', 'alarm:*')}]",
            "An update's rollback alarms are each request's own (DeploymentConfig."
            "AutoRollbackConfiguration); SageMaker reads them with the caller's permissions: "
            "cloudwatch:DescribeAlarms only, this account and region.",
        )
        nag.ack(
            function.role,
            f"IAM5[Resource::{arns.arn('application-autoscaling', 'scalable-target/*')}]",
            "Scalable targets' ARNs carry ids Application Auto Scaling assigns, unknown until "
            "registered: an update re-registers the variants it had to take off, a delete's "
            "SageMaker deregisters them; only this account and region.",
        )
        components.acknowledge(function, arns)
        for kind in KINDS:
            nag.ack(
                function.role,
                f"IAM5[Resource::{arns.arn('sagemaker', f'{kind}/*')}]",
                f"SageMaker {kind}s are named by each request, so the name is a wildcard; the ARN "
                "is this account and region, and updates of endpoints and deletes additionally "
                "require the controller's ownership tag and no other stack's tag (aws:ResourceTag "
                "conditions).",
            )
        if not self.settings.execution_role_arns:
            nag.ack(
                function.role,
                f"IAM5[Resource::{arns.global_arn('iam', 'role/*')}]",
                "An inline EndpointConfig names its own ExecutionRoleArn; iam:PassRole is limited to "
                "this account's roles and to SageMaker (iam:PassedToService). Context "
                "sagemakerExecutionRoleArns narrows it to named roles.",
            )
        for role in (r for r in self.settings.execution_role_arns if "*" in r):
            nag.ack(
                function.role,
                f"IAM5[Resource::{role}]",
                "The deployer's own pattern of execution roles (context sagemakerExecutionRoleArns); "
                "iam:PassRole only to SageMaker (iam:PassedToService).",
            )
        if not self.settings.kms_key_arns:
            nag.ack(
                function.role,
                f"IAM5[Resource::{arns.arn('kms', 'key/*')}]",
                "An inline EndpointConfig names its own KmsKeyId; kms:CreateGrant / kms:DescribeKey are "
                "limited to this account's keys in this region and to requests through SageMaker "
                "(kms:ViaService). Context sagemakerKmsKeyArns narrows them to named keys.",
            )
        for key in (k for k in self.settings.kms_key_arns if "*" in k):
            nag.ack(
                function.role,
                f"IAM5[Resource::{key}]",
                "The deployer's own pattern of keys (context sagemakerKmsKeyArns); only through "
                "SageMaker (kms:ViaService).",
            )
