#!/usr/bin/env python3
"""The CDK app: ``npx cdk synth`` / ``npx cdk deploy`` run this (see cdk.json)."""

from __future__ import annotations

import os

import aws_cdk as cdk

from infra.config import Config
from infra.stack import ControllerStack


def build(app: cdk.App) -> ControllerStack:
    config = Config.from_context(app.node)
    env = None
    if os.environ.get("CDK_DEFAULT_ACCOUNT") and os.environ.get("CDK_DEFAULT_REGION"):
        env = cdk.Environment(
            account=os.environ["CDK_DEFAULT_ACCOUNT"], region=os.environ["CDK_DEFAULT_REGION"]
        )
    return ControllerStack(app, config.stack_name, config=config, env=env)


if __name__ == "__main__":
    application = cdk.App()
    build(application)
    application.synth()
