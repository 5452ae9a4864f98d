"""The operator commands' wiring: ``submit``, ``watch``, ``list``, ``describe``, ``stop`` and ``logs``
as ``endpointctl`` sub-commands.

:func:`register` adds them with their options; each runs inside :func:`aws_errors`, which maps
missing credentials or region to a usage error (exit 2) and a failed AWS call to exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from endpointctl.errors import EXIT_FAILED, OperationFailed, UsageError
from endpointctl.ops.find import SEARCH
from endpointctl.ops.session import client_error, default_stack_name
from endpointctl.parsing import positive, seconds

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


@contextlib.contextmanager
def aws_errors() -> Iterator[None]:
    """Missing credentials/region are usage errors (exit 2); a failed call is exit 1 (raised as
    ``OperationFailed``)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
    )

    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise UsageError(
            f"no AWS credentials ({exc}): set a profile (--profile) or the AWS_* variables"
        ) from None
    except (NoRegionError, ProfileNotFound) as exc:
        raise UsageError(str(exc)) from None
    except ClientError as exc:
        code, message = client_error(exc)
        operation = getattr(exc, "operation_name", "call")
        if message.lstrip().startswith("<"):  # an HTML error page (a proxy, or a local emulator)
            message = "the endpoint answered with an HTML error page"
        hint = ""
        if operation == "PutEvents" and code.startswith("5") and "AWS_ENDPOINT_URL" in os.environ:
            # A stock moto server's EventBridge cannot deliver to Step Functions targets: it fails
            # the put. The server of `endpointctl local deploy --keep` delivers.
            hint = (
                " (a stock moto server cannot start executions from the bus: "
                "deploy with `endpointctl local deploy --keep`, whose server can)"
            )
        raise OperationFailed(f"{operation}: {code}: {message}{hint}") from None
    except BotoCoreError as exc:
        raise OperationFailed(str(exc) + unreachable(exc)) from None
    except ValueError as exc:
        if not str(exc).startswith("Invalid endpoint"):  # botocore's word for a malformed URL
            raise
        raise UsageError(f"{exc}: AWS_ENDPOINT_URL must be a URL (http://127.0.0.1:5000)") from None


def unreachable(exc: Exception) -> str:
    """After "Could not connect to the endpoint URL" at a loopback ``AWS_ENDPOINT_URL`` (a port left
    over from a kept local deploy): what the kept deploy's record says, and what to do
    (:func:`endpointctl.served.kept.dead_endpoint`). Nothing for any other error or endpoint."""
    from urllib.parse import urlsplit

    from botocore.exceptions import EndpointConnectionError

    url = os.environ.get("AWS_ENDPOINT_URL", "")
    if not isinstance(exc, EndpointConnectionError) or not url:
        return ""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    if host != "localhost" and not host.startswith("127.") and host != "::1":
        return ""
    try:
        from endpointctl import project_root
        from endpointctl.served.kept import dead_endpoint

        return f" (AWS_ENDPOINT_URL): {dead_endpoint(project_root(), url)}"
    except RuntimeError:  # not a checkout: no record to read
        return ""


def _run(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """The command ``name`` of ``endpointctl.ops.<module>``, imported when it runs: building the
    parser (every ``endpointctl`` run, ``local run`` too) imports none of the commands."""

    def command(args: argparse.Namespace) -> int:
        import importlib

        body = getattr(importlib.import_module(f"endpointctl.ops.{module}"), name)
        try:
            with aws_errors():
                return int(body(args))
        except OperationFailed as exc:
            print(f"endpointctl: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except KeyboardInterrupt:
            print("endpointctl: interrupted (an execution already started goes on)", file=sys.stderr)
            return 130

    return command


def register(commands: Any) -> None:
    """Add the operator commands to ``endpointctl``'s sub-command parser."""

    def aws_options(p: argparse.ArgumentParser, *, stack: bool = True) -> None:
        if stack:
            p.add_argument(
                "--stack",
                metavar="NAME",
                default=None,
                help=f"the deployed stack whose outputs to use (default: cdk.json's stackName, {default_stack_name()})",
            )
        p.add_argument("--region", default=None, help="AWS region (default: the profile's or AWS_REGION)")
        p.add_argument("--profile", default=None, help="AWS named profile (default: the environment's)")

    def watch_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--interval", type=seconds, default=5.0, metavar="SECONDS", help="seconds between polls"
        )
        p.add_argument(
            "--all-states",
            action="store_true",
            help="show every state entered, also choices and a poll loop's repeats",
        )

    def find_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--state-machine",
            action="append",
            metavar="ARN",
            help="a state machine to look in (repeatable; default: each endpoint type's, from the stack)",
        )
        p.add_argument(
            "--search",
            type=positive,
            default=SEARCH,
            metavar="N",
            help="how many of each state machine's most recent executions to look through for a "
            "requestId or endpoint",
        )

    submit = commands.add_parser(
        "submit",
        help="put a request on the deployed controller's bus (or start its state machine)",
        description=(
            "Send REQUEST.json to a deployed stack: put it on the controller's bus as an 'Endpoint "
            "Request' event, which the type's rule turns into an execution of its state machine, or "
            "(--direct) start that state machine with it. A request the controller would refuse is "
            "not sent (exit 1, every broken field said, as endpointctl validate says it). --watch "
            "follows the execution to its end."
        ),
    )
    submit.add_argument(
        "request", metavar="REQUEST.json", help="a request, or a whole event whose detail is one"
    )
    submit.add_argument(
        "--direct", action="store_true", help="start the type's state machine, not via the bus"
    )
    submit.add_argument(
        "--bus", metavar="NAME", help="the controller's bus (default: the stack's EventBusName)"
    )
    submit.add_argument(
        "--state-machine",
        metavar="ARN",
        help="the state machine (default: the stack's <Type>StateMachineArn)",
    )
    submit.add_argument(
        "--name", help="--direct: the execution name (default: requestId or endpoint + UTC time)"
    )
    submit.add_argument("--watch", action="store_true", help="follow the started execution to its end")
    submit.add_argument(
        "--start-timeout",
        type=seconds,
        default=60.0,
        metavar="SECONDS",
        help="--watch after a bus submit: how long to look for the execution the rule starts",
    )
    submit.add_argument("--json", action="store_true", help="print what was started as JSON")
    watch_options(submit)
    aws_options(submit)
    submit.set_defaults(func=_run("submit", "cmd_submit"))

    watch = commands.add_parser(
        "watch",
        help="follow an execution to its end (exit 0 if it succeeded, else 1)",
        description=(
            "Follow an execution to its end: a line per state entered (time since the start, the "
            "state, the service's status), then how it ended. EXECUTION is its ARN, its name (as list "
            "shows it) or its request's requestId, looked up in the stack's state machines; a name or "
            "requestId that fits several executions is refused with the candidates (exit 2). Exit 0 if "
            "the execution succeeded, 1 if it did not."
        ),
    )
    watch.add_argument("execution", metavar="EXECUTION", help="an execution's ARN or name, or a requestId")
    watch.add_argument("--json", action="store_true", help="print the final execution as one JSON object")
    watch_options(watch)
    find_options(watch)
    aws_options(watch)
    watch.set_defaults(func=_run("follow", "cmd_watch"))

    listing = commands.add_parser(
        "list",
        help="recent executions per endpoint type",
        description=(
            "The most recent executions of each endpoint type's state machine, newest first: type, "
            "status, execution name, endpoint, start and duration. The names are what watch, stop, "
            "logs and describe take."
        ),
    )
    listing.add_argument(
        "--state-machine",
        action="append",
        metavar="ARN",
        help="a state machine to list (repeatable; default: each endpoint type's, from the stack)",
    )
    listing.add_argument("--max", type=positive, default=10, metavar="N", help="executions per state machine")
    listing.add_argument(
        "--status", type=str.upper, choices=STATUSES, help="only executions with this status"
    )
    listing.add_argument("--json", action="store_true", help="print a JSON array of the executions")
    aws_options(listing)
    listing.set_defaults(func=_run("listing", "cmd_list"))

    describe = commands.add_parser(
        "describe",
        help="what happened to a request or an endpoint: executions, notifications, the endpoint now",
        description=(
            "What happened to a request (by requestId) or to an endpoint (by its name or id): each "
            "request, its executions (name, status, start and stop), what each published (read from "
            "the execution's own output, or its error and cause), and the endpoint as its service "
            "describes it now. An execution's name or ARN shows its request. Looks through each state "
            "machine's --search most recent executions."
        ),
    )
    describe.add_argument(
        "what", metavar="REQUEST_ID|ENDPOINT", help="a requestId, an endpoint, or an execution's name or ARN"
    )
    describe.add_argument("--json", action="store_true", help="print it as one JSON object")
    find_options(describe)
    aws_options(describe)
    describe.set_defaults(func=_run("describe", "cmd_describe"))

    stop = commands.add_parser(
        "stop",
        help="stop a running execution; the controller then cleans up (ExecutionAborted)",
        description=(
            "Stop a running execution (Step Functions StopExecution). It ends at once, without its "
            "outcome; the controller's clean-up then deletes what it created and publishes the "
            "request's Endpoint Failed with ExecutionAborted, after which the request may be sent "
            "again. EXECUTION is its ARN, its name or its requestId (of a request's executions, the "
            "running one). Exit 0 stopped, 1 it had already ended, 2 no such execution or several."
        ),
    )
    stop.add_argument("execution", metavar="EXECUTION", help="an execution's ARN or name, or a requestId")
    stop.add_argument("--cause", metavar="TEXT", help="why: kept as the stopped execution's cause")
    stop.add_argument("--json", action="store_true", help="print what was stopped as JSON")
    find_options(stop)
    aws_options(stop)
    stop.set_defaults(func=_run("stop", "cmd_stop"))

    logs = commands.add_parser(
        "logs",
        help="the function's log lines for one execution, from CloudWatch Logs",
        description=(
            "The log lines the endpoint type's function wrote for one execution, oldest first, from "
            "its log group in CloudWatch Logs (FilterLogEvents on the execution's ARN, which every "
            "line carries): each step's lines, and the clean-up's after a stop. EXECUTION is its ARN, "
            "its name or its requestId."
        ),
    )
    logs.add_argument("execution", metavar="EXECUTION", help="an execution's ARN or name, or a requestId")
    logs.add_argument("--json", action="store_true", help="print a JSON array of the lines")
    find_options(logs)
    aws_options(logs)
    logs.set_defaults(func=_run("logs", "cmd_logs"))
