"""AWS sessions and the deployed stack's outputs: what the operator commands address.

An :class:`Aws` session (``--profile``/``--region``), the stack's outputs (its bus and its
``<Title>StateMachineArn`` per endpoint type, titles from the shared catalog) and
:func:`resolve`, which merges them with the explicit ``--bus``/``--state-machine``.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass, field
from typing import Any

from controller import catalog
from endpointctl.errors import UsageError

DEFAULT_STACK = "MlEndpointController"
#: Errors that mean "the arguments name nothing usable" (exit 2), not "the operation failed".
NOT_FOUND = {
    "ExecutionDoesNotExist",
    "StateMachineDoesNotExist",
    "InvalidArn",
    "InvalidName",
    "ExecutionAlreadyExists",
    "ResourceNotFoundException",
}


def titles() -> dict[str, str]:
    """Endpoint type → the title of its stack outputs (``<Title>StateMachineArn``), in catalog order."""
    return {name: row.title for name, row in catalog.endpoint_types().items()}


def default_stack_name() -> str:
    """The ``stackName`` of ``cdk.json``'s context (what ``cdk deploy`` names the stack)."""
    try:
        from endpointctl import project_root

        context = json.loads((project_root() / "cdk.json").read_text()).get("context", {})
        return str(context.get("stackName") or DEFAULT_STACK)
    except (RuntimeError, OSError, ValueError, AttributeError):
        return DEFAULT_STACK


def arn_region(arn: str) -> str | None:
    """``arn:aws:states:eu-west-1:…`` → ``eu-west-1``."""
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 3 and parts[0] == "arn" else None


def client_error(exc: Exception) -> tuple[str, str]:
    """A botocore ``ClientError``'s code and message (the exception's type and text otherwise)."""
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code", type(exc).__name__)), str(error.get("Message") or exc)


class Aws:
    """One boto3 session (profile, region); clients per service and region, made once."""

    def __init__(self, profile: str | None = None, region: str | None = None) -> None:
        import boto3
        from botocore.exceptions import ProfileNotFound

        # boto3 reads AWS_DEFAULT_REGION; AWS_REGION (what the AWS CLI and the other SDKs read, and
        # what the "no AWS region" message suggests) is honoured too.
        default_region = region or os.environ.get("AWS_REGION") or None
        try:
            self.session = boto3.Session(profile_name=profile, region_name=default_region)
        except ProfileNotFound as exc:
            raise UsageError(str(exc)) from None
        self.region = region
        self._clients: dict[tuple[str, str | None], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        """A client; ``region`` (e.g. an ARN's) applies only when ``--region`` was not given."""
        from botocore.exceptions import NoRegionError

        region = self.region or region
        key = (service, region)
        if key not in self._clients:
            try:
                self._clients[key] = self.session.client(service, region_name=region)  # type: ignore[call-overload]
            except NoRegionError:
                raise UsageError(
                    "no AWS region: give --region, or set AWS_REGION or a profile's region"
                ) from None
        return self._clients[key]


def aws_of(args: argparse.Namespace) -> Aws:
    """The session a command's ``--profile`` and ``--region`` ask for."""
    return Aws(args.profile, args.region)


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """The stack's outputs by key; ``UsageError`` when the stack cannot be read."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message") or str(exc)
        region = cloudformation.meta.region_name
        raise UsageError(
            f"stack {stack} ({region}): {message}; give --stack NAME or explicit --bus/--state-machine"
        ) from None
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", []) if "OutputKey" in o}


def machines_from_outputs(outputs: dict[str, str]) -> dict[str, str]:
    """Endpoint type → state machine ARN, from ``<Title>StateMachineArn`` outputs."""
    return {
        kind: outputs[f"{title}StateMachineArn"]
        for kind, title in titles().items()
        if f"{title}StateMachineArn" in outputs
    }


#: The label of the refusals' state machine among the types' (``RefusalsStateMachineArn``: the
#: stack's answer to a request of no deployed type), in what the read commands show.
REFUSED = "refused"


def machine_type(arn: str) -> str:
    """A state machine's endpoint type guessed from its name: CloudFormation names it after its
    logical id, which starts with the title (``SageMakerLifecycleStateMachine…-AbC``), behind the
    stack's name where the service puts it first (moto's ``MlEndpointController-SageMaker…``)."""
    name = arn.rsplit(":", 1)[-1].lower()
    for kind, title in titles().items():
        if name.startswith(title.lower()) or name.partition("-")[2].startswith(title.lower()):
            return kind
    if name.startswith("refusals") or name.partition("-")[2].startswith("refusals"):
        return REFUSED
    return arn.rsplit(":", 1)[-1]


@dataclass
class Targets:
    """What the commands address: the bus and the state machines by endpoint type."""

    bus: str | None = None
    machines: dict[str, str] = field(default_factory=dict)
    stack: str | None = None
    #: The refusals' state machine (no request is sent to it: it answers what no type's rule takes).
    refusals: str | None = None

    def readable(self) -> dict[str, str]:
        """What the read commands look in: the types' state machines and the refusals'."""
        return {**self.machines, REFUSED: self.refusals} if self.refusals else dict(self.machines)


def resolve(
    aws: Aws, stack: str | None, *, bus: str | None = None, machines: list[str] | None = None, need: str
) -> Targets:
    """Explicit values win; the stack's outputs are read when something is still missing (or
    ``--stack`` was given). ``need``: ``bus`` or ``machines``, whichever the command cannot do without."""
    targets = Targets(bus=bus)
    for arn in machines or []:
        kind = machine_type(arn)
        targets.machines[kind if kind not in targets.machines else arn.rsplit(":", 1)[-1]] = arn
    missing = (need == "bus" and not bus) or (need == "machines" and not machines)
    if missing or stack is not None:
        name = stack or default_stack_name()
        outputs = stack_outputs(aws.client("cloudformation"), name)
        targets.stack = name
        targets.bus = targets.bus or outputs.get("EventBusName")
        if not machines:
            targets.machines = machines_from_outputs(outputs)
            targets.refusals = outputs.get("RefusalsStateMachineArn")
        if need == "bus" and not targets.bus:
            raise UsageError(f"stack {name} has no EventBusName output; give --bus NAME")
        if need == "machines" and not targets.machines:
            raise UsageError(f"stack {name} has no <Type>StateMachineArn outputs; give --state-machine ARN")
    return targets
