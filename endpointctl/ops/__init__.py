"""Operator commands for a deployed stack: ``submit``, ``watch``, ``list``, ``describe``, ``stop`` and
``logs``.

They find the stack's bus and state machines from its CloudFormation outputs (``--stack``, by
default the ``stackName`` of ``cdk.json``) or take them explicitly (``--bus``, ``--state-machine``),
and use plain boto3 sessions: ``--profile``/``--region`` or the usual environment and config files
(``AWS_ENDPOINT_URL`` included, as boto3 honours it). The logic lives in small functions that take
boto3 clients; the ``cmd_*`` functions only parse, call and print.

``session`` owns the AWS sessions and the stack's outputs, ``submit`` the requests, ``follow``
following an execution (``watch``), ``listing`` the ``list`` table, ``find`` finding executions by
ARN, name, requestId or endpoint, ``describe`` what happened to a request or endpoint, ``stop``
stopping one, ``logs`` its function's log lines, and ``commands`` the wiring of the sub-commands into
``endpointctl``'s parser.
"""

from __future__ import annotations

from endpointctl.ops.commands import register

__all__ = ["register"]
