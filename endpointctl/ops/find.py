"""Finding executions from what an operator names: an execution's ARN, its name, the requestId of
its request or (``describe``) the endpoint it is about.

The ways are tried in this order, the first that finds anything wins:

1. an ARN (``arn:…:execution:…``) is taken as it is;
2. a name is looked up in each of the stack's state machines directly (an execution's ARN is its
   state machine's with ``:execution:`` and the name: one call per state machine, however old);
3. otherwise the most recent executions of each state machine (``--search``, 100 each) are read,
   their input holding the request, and those whose requestId (or, for ``describe``, endpoint) is
   the one named are kept. The requestId is the execution's own word for it where it finished (its
   output's), else the request's, else the one the controller gives a request without one: the
   event's id for an execution the bus started, the execution's name for one started directly.

:func:`one` turns the findings into the single execution ``watch``, ``stop`` and ``logs`` need:
none, or several (a request sent twice has two executions), is a one-line usage error (exit 2)
that names the candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from endpointctl.errors import UsageError
from endpointctl.ops.records import describe, endpoint_id, iso, loads, request_in
from endpointctl.ops.session import NOT_FOUND, arn_region, client_error, machine_type

#: How many of each state machine's most recent executions are read for a requestId or endpoint.
SEARCH = 100
#: Executions described at once while searching (boto3 clients are thread-safe).
WORKERS = 8


@dataclass(frozen=True)
class Found:
    """One execution, with the request its input holds."""

    arn: str
    kind: str
    described: dict[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return str(self.described.get("name") or self.arn.rsplit(":", 1)[-1])

    @property
    def status(self) -> str:
        return str(self.described.get("status", "?"))

    @property
    def machine(self) -> str:
        return str(self.described.get("stateMachineArn") or machine_of(self.arn))

    @property
    def started(self) -> datetime | None:
        start = self.described.get("startDate")
        return start if isinstance(start, datetime) else None

    @property
    def stopped(self) -> datetime | None:
        stop = self.described.get("stopDate")
        return stop if isinstance(stop, datetime) else None

    @property
    def document(self) -> Any:
        """The execution's input: a request, or the whole event the bus delivered."""
        return loads(self.described.get("input"))

    @property
    def output(self) -> Any:
        return loads(self.described.get("output"))

    @property
    def request(self) -> dict[str, Any] | None:
        request = request_in(self.document)
        return request if isinstance(request, dict) else None

    @property
    def request_id(self) -> str:
        """The request's id as the controller knows it (see the module's docstring)."""
        output, request, document = self.output, self.request or {}, self.document
        for candidate in (
            output.get("requestId") if isinstance(output, dict) else None,
            request.get("requestId"),
            document.get("id") if isinstance(document, dict) and "detail" in document else None,
        ):
            if isinstance(candidate, str) and candidate:
                return candidate
        return self.name

    @property
    def endpoint(self) -> str | None:
        return endpoint_id(self.document, self.output)

    @property
    def endpoint_type(self) -> str:
        kind = (self.request or {}).get("endpointType")
        return kind if isinstance(kind, str) else self.kind

    def label(self) -> str:
        """``churn-prod-1 (sagemaker, SUCCEEDED, started 2026-11-22T12:00:00Z)``."""
        return f"{self.name} ({self.kind}, {self.status}, started {iso(self.started) or '?'})"


def machine_of(execution_arn: str) -> str:
    """The state machine of an execution ARN (``…:execution:M:n`` → ``…:stateMachine:M``)."""
    return execution_arn.replace(":execution:", ":stateMachine:", 1).rsplit(":", 1)[0]


def is_execution_arn(text: str) -> bool:
    return text.startswith("arn:") and ":execution:" in text


class Finder:
    """Looks for executions in ``machines`` (endpoint type → state machine ARN); ``client_for``
    gives the Step Functions client of an ARN's region."""

    def __init__(
        self, client_for: Callable[[str], Any], machines: dict[str, str], *, search: int = SEARCH
    ) -> None:
        self.client_for = client_for
        self.machines = machines
        self.search = search

    def find(self, ref: str, *, endpoint: bool = False) -> tuple[str, list[Found]]:
        """How ``ref`` was matched (``ARN``, ``name``, ``requestId``, ``endpoint``) and the
        executions it names, newest first (see the module's docstring)."""
        if is_execution_arn(ref):
            return "ARN", [self.by_arn(ref)]
        named = self.by_name(ref)
        if named:
            return "name", named
        recent = self.recent()
        by_request = [found for found in recent if found.request_id == ref]
        if by_request or not endpoint:
            return "requestId", by_request
        return "endpoint", [found for found in recent if found.endpoint == ref]

    def by_arn(self, arn: str) -> Found:
        """``UsageError`` when there is no such execution."""
        return Found(arn, machine_type(machine_of(arn)), describe(self.client_for(arn), arn))

    def by_name(self, name: str) -> list[Found]:
        from botocore.exceptions import ClientError, ParamValidationError

        found = []
        for kind, machine in self.machines.items():
            arn = f"{machine.replace(':stateMachine:', ':execution:', 1)}:{name}"
            try:
                described = self.client_for(machine).describe_execution(executionArn=arn)
            except ParamValidationError:
                return []  # not a name Step Functions could have given
            except ClientError as exc:
                if client_error(exc)[0] in NOT_FOUND:
                    continue
                raise
            found.append(Found(arn, kind, dict(described)))
        return newest_first(found)

    def recent(self) -> list[Found]:
        """The most recent :attr:`search` executions of each state machine, described."""
        listed: list[tuple[str, str]] = []
        for kind, machine in self.machines.items():
            sfn = self.client_for(machine)
            kwargs: dict[str, Any] = {"stateMachineArn": machine, "maxResults": min(self.search, 1000)}
            count = 0
            while count < self.search:
                page = sfn.list_executions(**kwargs)
                for execution in page.get("executions", [])[: self.search - count]:
                    listed.append((kind, str(execution["executionArn"])))
                    count += 1
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]

        def described(item: tuple[str, str]) -> Found:
            kind, arn = item
            return Found(arn, kind, dict(self.client_for(arn).describe_execution(executionArn=arn)))

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return newest_first(pool.map(described, listed))


def newest_first(found: Iterable[Found]) -> list[Found]:
    return sorted(found, key=lambda f: f.started.timestamp() if f.started else 0.0, reverse=True)


def one(ref: str, how: str, found: list[Found], *, searched: str, running: bool = False) -> Found:
    """The one execution ``ref`` names. ``running``: only a running one will do (``stop``).
    ``searched``: what was looked through, for the message when nothing matches."""
    if running and len(found) > 1:
        found = [f for f in found if f.status == "RUNNING"] or found
    if not found:
        raise UsageError(
            f"{ref}: no execution has this name or requestId ({searched}); "
            "`endpointctl list` shows recent ones, or give the execution's ARN"
        )
    if len(found) > 1:
        shown = "; ".join(f.label() for f in found[:5]) + (
            f"; and {len(found) - 5} more" if len(found) > 5 else ""
        )
        raise UsageError(
            f"{ref} ({how}) names {len(found)} executions: {shown}; give one of their names or ARNs"
        )
    return found[0]


def searched(finder: Finder) -> str:
    """``the 100 most recent executions of sagemaker (SageMakerLifecycle…)``, for messages."""
    machines = ", ".join(f"{kind} ({arn.rsplit(':', 1)[-1]})" for kind, arn in finder.machines.items())
    return f"each state machine's {finder.search} most recent executions and names: {machines}"


def finder_of(aws: Any, machines: dict[str, str], search: int = SEARCH) -> Finder:
    """A finder with clients from ``aws`` (an :class:`~endpointctl.ops.session.Aws`)."""
    return Finder(lambda arn: aws.client("stepfunctions", arn_region(arn)), machines, search=search)


def execution_of(args: Any, ref: str, *, running: bool = False) -> tuple[Any, Found]:
    """The session of a command's ``--profile``/``--region`` and the one execution ``ref`` names:
    an ARN as it is (no stack read); else found through the stack's state machines (``--stack``,
    ``--state-machine``), among the ``--search`` most recent of each."""
    from endpointctl.ops.session import aws_of, resolve

    aws = aws_of(args)
    if is_execution_arn(ref):
        return aws, finder_of(aws, {}).by_arn(ref)
    targets = resolve(aws, args.stack, machines=args.state_machine, need="machines")
    finder = finder_of(aws, targets.readable(), args.search)
    how, found = finder.find(ref)
    return aws, one(ref, how, found, searched=searched(finder), running=running)
