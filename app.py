#!/usr/bin/env python3
"""The CDK app: ``npx cdk synth`` / ``npx cdk deploy`` run this (see cdk.json)."""

from __future__ import annotations

import os
import sys

import aws_cdk as cdk

from infra import nag
from infra.config import Config, ConfigError
from infra.stack import ControllerStack

#: The exit code of a synth refused for its context (as ``endpointctl``'s for unusable arguments).
EXIT_BAD_CONTEXT = 2


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
    application = cdk.App()
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
