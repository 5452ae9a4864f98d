#!/usr/bin/env python3
"""The CDK app: ``npx cdk synth`` / ``npx cdk deploy`` run this (see cdk.json).

``python app.py`` run by itself builds what ``cdk synth`` builds: the CDK CLI passes cdk.json's
context, and without the CLI this reads the same file, beneath whatever context is given (the
CLI's ``-c``, ``CDK_CONTEXT_JSON``), so the defaults (``endpointTypes`` among them) have one home.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra import nag
from infra.config import Config, ConfigError
from infra.stack import ControllerStack

#: The exit code of a synth refused for its context (as ``endpointctl``'s for unusable arguments).
EXIT_BAD_CONTEXT = 2
#: The context defaults, found from this file (never from the working directory).
CDK_JSON = Path(__file__).resolve().with_name("cdk.json")


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's ``context``: an ``App``'s own context, which any context given overrides (the
    CLI's, ``CDK_CONTEXT_JSON``: "Context set by the CLI or the context key in cdk.json has
    precedence" over ``AppProps.context``, the CDK API reference)."""
    return dict(json.loads(CDK_JSON.read_text()).get("context", {}))


def build(app: cdk.App) -> ControllerStack:
    config = Config.from_context(app.node)
    env = None
    if os.environ.get("CDK_DEFAULT_ACCOUNT") and os.environ.get("CDK_DEFAULT_REGION"):
        env = cdk.Environment(
            account=os.environ["CDK_DEFAULT_ACCOUNT"], region=os.environ["CDK_DEFAULT_REGION"]
        )
    stack = ControllerStack(app, config.stack_name, config=config, env=env)
    # cdk-nag's AWS Solutions checks run on every synth; an unacknowledged finding fails it.
    nag.add_checks(app)
    nag.acknowledge(stack)
    return stack


def main() -> int:
    application = cdk.App(context=cdk_json_context())
    try:
        build(application)
    except ConfigError as exc:
        # One line per problem, each naming its key and how to fix it: no traceback to read.
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_CONTEXT
    application.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
