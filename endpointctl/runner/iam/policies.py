"""The synthesized template's IAM: each role's identity policies, each resource's own policy.

Read from the template as CloudFormation would attach them: a role's inline ``Policies`` and every
``AWS::IAM::Policy`` naming it in ``Roles``; an SNS topic's ``AWS::SNS::TopicPolicy``, an SQS
queue's ``AWS::SQS::QueuePolicy``, a KMS key's ``KeyPolicy``, and a function's
``AWS::Lambda::Permission`` entries as the statements of its resource policy. Intrinsics are
resolved against what the runner staged; anything it did not stage resolves to an ARN of its own
(no simulated call can name it, so it grants nothing extra).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from endpointctl.sim.iam import arn as arn_of
from endpointctl.template import ACCOUNT, REGION, Resolver, resources


def role_arn(logical_id: str) -> str:
    """The ARN the runner gives a template role (its name is its logical id, as staged)."""
    return f"arn:aws:iam::{ACCOUNT}:role/{logical_id[:64]}"


class _Tolerant(Resolver):
    """Resolves like the staging resolver; an unknown reference becomes an ARN of its own."""

    def __init__(self, base: Resolver) -> None:
        super().__init__(base.refs, base.attributes)

    def __call__(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref" and value not in self.refs:
                return f"arn:aws:unstaged:{REGION}:{ACCOUNT}:{value}"
            if key == "Fn::GetAtt":
                lid, attribute = value if isinstance(value, list) else value.split(".", 1)
                if (lid, attribute) not in self.attributes:
                    return f"arn:aws:unstaged:{REGION}:{ACCOUNT}:{lid}/{attribute}"
        return super().__call__(node)


@dataclass
class Policies:
    """Identity policies by role ARN, resource policies by resource ARN."""

    identity: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resource: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: An encrypted topic's (or queue's or table's, by its ARN) customer-managed KMS key ARN.
    keys: dict[str, str] = field(default_factory=dict)

    def of_role(self, arn: str) -> list[dict[str, Any]]:
        return self.identity.get(arn, [])

    def resource_policy(self, arn: str) -> str | None:
        policy = self.resource.get(arn) or _default_key_policy(arn)
        return json.dumps(policy, sort_keys=True) if policy else None

    @classmethod
    def read(cls, template: dict[str, Any], staged: Resolver) -> Policies:
        resolve = _Tolerant(staged)
        found = cls()
        for lid, role in resources(template, "AWS::IAM::Role").items():
            arn = role_arn(lid)
            found.identity.setdefault(arn, [])
            trust = role["Properties"].get("AssumeRolePolicyDocument")
            if trust:  # the role's resource policy, for sts:AssumeRole
                found._add(arn, resolve(trust))
            for inline in role["Properties"].get("Policies", []):
                found.identity[arn].append(resolve(inline["PolicyDocument"]))
        for policy in resources(template, "AWS::IAM::Policy").values():
            document = resolve(policy["Properties"]["PolicyDocument"])
            for role in policy["Properties"].get("Roles", []):
                lid = role.get("Ref") if isinstance(role, dict) else None
                if lid:
                    found.identity.setdefault(role_arn(lid), []).append(document)
        for policy in resources(template, "AWS::SNS::TopicPolicy").values():
            for topic in policy["Properties"].get("Topics", []):
                found._add(str(resolve(topic)), resolve(policy["Properties"]["PolicyDocument"]))
        for policy in resources(template, "AWS::SQS::QueuePolicy").values():
            for queue in policy["Properties"].get("Queues", []):
                found._add(str(resolve(queue)), resolve(policy["Properties"]["PolicyDocument"]))
        for lid, key in resources(template, "AWS::KMS::Key").items():
            arn = str(resolve({"Fn::GetAtt": [lid, "Arn"]}))
            found._add(arn, resolve(key["Properties"]["KeyPolicy"]))
        for lid, topic in resources(template, "AWS::SNS::Topic").items():
            master = topic["Properties"].get("KmsMasterKeyId")
            if master is not None:
                found.keys[str(resolve({"Ref": lid}))] = str(resolve(master))
        for lid, queue in resources(template, "AWS::SQS::Queue").items():
            master = queue["Properties"].get("KmsMasterKeyId")
            if master is not None:
                found.keys[str(resolve({"Fn::GetAtt": [lid, "Arn"]}))] = str(resolve(master))
        for lid, table in resources(template, "AWS::DynamoDB::Table").items():
            sse = table["Properties"].get("SSESpecification") or {}
            if sse.get("SSEEnabled") and sse.get("KMSMasterKeyId") is not None:
                found.keys[arn_of("dynamodb", f"table/{resolve({'Ref': lid})}")] = str(
                    resolve(sse["KMSMasterKeyId"])
                )
        for permission in resources(template, "AWS::Lambda::Permission").values():
            found._add_permission(resolve(permission["Properties"]))
        return found

    def _add(self, arn: str, document: dict[str, Any]) -> None:
        policy = self.resource.setdefault(arn, {"Version": "2012-10-17", "Statement": []})
        statements = document.get("Statement", [])
        policy["Statement"].extend(statements if isinstance(statements, list) else [statements])

    def _add_permission(self, properties: dict[str, Any]) -> None:
        """``AWS::Lambda::Permission`` → the statement it adds to the function's policy."""
        principal = str(properties["Principal"])
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": {"Service": principal}
            if principal.endswith(".amazonaws.com")
            else {"AWS": principal},
            "Action": properties["Action"],
            "Resource": properties["FunctionName"],
        }
        conditions: dict[str, dict[str, str]] = {}
        if "SourceArn" in properties:
            conditions["ArnLike"] = {"aws:SourceArn": properties["SourceArn"]}
        if "SourceAccount" in properties:
            conditions["StringEquals"] = {"aws:SourceAccount": properties["SourceAccount"]}
        if conditions:
            statement["Condition"] = conditions
        self._add(str(properties["FunctionName"]), {"Statement": [statement]})


def _default_key_policy(arn: str) -> dict[str, Any] | None:
    """A KMS key of this account that the template does not hold (one a request names, such as an
    endpoint config's ``KmsKeyId``) has, as far as the runner can know, KMS's default key policy:
    one statement that lets the account use IAM policies for every KMS operation on the key
    (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html, "Allows access
    to the AWS account and enables IAM policies"). Without a key policy that allows it, no IAM
    policy can grant access to a KMS key, so an absent policy would deny what AWS allows."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "kms" or parts[4] != ACCOUNT or not parts[5].startswith("key/"):
        return None
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
