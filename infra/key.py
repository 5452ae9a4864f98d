"""The stack's one customer-managed KMS key, and which AWS services may use it.

It encrypts everything the stack stores: both topics (outcomes and alarms), the requests table, the
dead-letter queues and every log group. Its callers in the stack (the functions, the state machines) get IAM
grants; the AWS services that encrypt with it on the stack's behalf get a key-policy statement
each, every one conditioned on where the request comes from (the confused-deputy guard, "The
confused deputy problem", https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html):
this account's alarms, this account's log groups, this account's rules.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


def stack_key(scope: Construct, construct_id: str) -> kms.Key:
    """The key (rotated yearly) with its service statements."""
    stack = Stack.of(scope)
    key = kms.Key(
        scope,
        construct_id,
        description=(
            f"{stack.stack_name}: encrypts the notification and alarm topics, the requests table, "
            "the dead-letter queues and the log groups"
        ),
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.DESTROY,
        pending_window=Duration.days(7),
    )
    partition, region, account = stack.partition, stack.region, stack.account
    # CloudWatch alarms publish to the encrypted alarm topic: "Enable compatibility between event
    # sources from AWS services and encrypted topics",
    # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchAlarmsPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=["*"],  # in a key policy, "*" is this key
            conditions={
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"},
            },
        )
    )
    # CloudWatch Logs encrypts the log groups: the regional logs principal, for this account's log
    # groups only ("Encrypt log data in CloudWatch Logs using AWS KMS", step 2,
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): the
    # service supplies the log group's ARN as encryption context. The page's kms:Describe* is left
    # out: the encryption-context condition does not apply to DescribeKey, so under it that action
    # was never allowed anyway.
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsEncrypt",
            principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:*"
                }
            },
        )
    )
    # EventBridge delivers what it could not deliver to the encrypted dead-letter queue; with a
    # customer-managed key the sending service needs kms:GenerateDataKey and kms:Decrypt in the key
    # policy ("Configure KMS permissions for AWS services",
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html),
    # and "as a security best practice, add an aws:SourceArn, aws:SourceAccount, or
    # kms:EncryptionContext:aws:events:event-bus:arn condition key to the AWS KMS key policy" so that
    # EventBridge uses the key only for the given account or resource ("Authorizing EventBridge to
    # use a customer managed key",
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html). The
    # same pair of keys guards a service that sends to an encrypted queue in "Access management for
    # encrypted Amazon SQS queues with least privilege policies"
    # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-least-privilege-policy.html).
    # Here: this account, and its rules in this region (a dead letter's source is the rule whose
    # target failed, as in the queue policy's aws:SourceArn, "Granting permissions to the dead-letter
    # queue", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). The rules'
    # own ARNs cannot be named: they depend on what depends on this key. Which rules may send to the
    # queue is the queue policy's to say (CDK allows sqs:SendMessage to exactly the stack's rules).
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="EventBridgeDeadLetters",
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=["*"],
            conditions={
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:events:{region}:{account}:rule/*"},
            },
        )
    )
    return key
