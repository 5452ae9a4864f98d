"""The operator commands' wiring: ``submit``, ``watch`` and ``list`` as ``endpointctl`` sub-commands.

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
from endpointctl.ops.follow import cmd_watch
from endpointctl.ops.listing import cmd_list
from endpointctl.ops.session import client_error, default_stack_name
from endpointctl.ops.submit import cmd_submit

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


def _run(body: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        try:
            with aws_errors():
                return body(args)
        except OperationFailed as exc:
            print(f"endpointctl: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except KeyboardInterrupt:
            print("endpointctl: interrupted (an execution already started goes on)", file=sys.stderr)
            return 130

    return command


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value < float("inf"):  # also nan
        raise argparse.ArgumentTypeError("must be a number of seconds, not negative")
    return value


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
            "--interval", type=_seconds, default=5.0, metavar="SECONDS", help="seconds between polls"
        )
        p.add_argument(
            "--all-states",
            action="store_true",
            help="show every state entered, also choices and a poll loop's repeats",
        )

    submit = commands.add_parser(
        "submit", help="put a request on the deployed controller's bus (or start its state machine)"
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
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="--watch after a bus submit: how long to look for the execution the rule starts",
    )
    submit.add_argument("--json", action="store_true", help="print what was started as JSON")
    watch_options(submit)
    aws_options(submit)
    submit.set_defaults(func=_run(cmd_submit))

    watch = commands.add_parser(
        "watch", help="follow an execution to its end (exit 0 if it succeeded, else 1)"
    )
    watch.add_argument("execution", metavar="EXECUTION_ARN")
    watch.add_argument("--json", action="store_true", help="print the final execution as one JSON object")
    watch_options(watch)
    aws_options(watch, stack=False)
    watch.set_defaults(func=_run(cmd_watch))

    listing = commands.add_parser("list", help="recent executions per endpoint type")
    listing.add_argument(
        "--state-machine",
        action="append",
        metavar="ARN",
        help="a state machine to list (repeatable; default: each endpoint type's, from the stack)",
    )
    listing.add_argument(
        "--max", type=_positive, default=10, metavar="N", help="executions per state machine (default 10)"
    )
    listing.add_argument(
        "--status", type=str.upper, choices=STATUSES, help="only executions with this status"
    )
    listing.add_argument("--json", action="store_true", help="print a JSON array of the executions")
    aws_options(listing)
    listing.set_defaults(func=_run(cmd_list))
