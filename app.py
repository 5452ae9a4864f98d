#!/usr/bin/env python3
"""The CDK app: ``npx cdk synth`` / ``npx cdk deploy`` run this (see cdk.json)."""

from __future__ import annotations

import os

import aws_cdk as cdk

from infra import nag
from infra.config import Config
from infra.stack import ControllerStack


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


if __name__ == "__main__":
    application = cdk.App()
    build(application)
    application.synth()
