"""The context the tests synthesize beside the default one, and a refused context checked in-process.

Each distinct context the tests synthesize costs a cold run (a fresh clone, an empty
``.endpointctl-cache/``) 6-8 s of CPU: ``endpointctl.synth.synthesize`` runs ``python app.py``
(jsii and node) once per context fingerprint. So the tests that need an optional setting read
one template, :data:`CUSTOM`'s (the session fixture ``custom_template`` of ``tests/conftest.py``),
rather than a context of their own each.

A refused context needs no synth at all: :func:`problems` builds the app in this process as
``python app.py`` does (``app.build``) and returns the lines of the ``ConfigError`` it raises,
the lines ``python app.py`` prints before it exits 2. A failed synth in a subprocess costs
~1.3 s (it imports aws_cdk); the wiring from a ``ConfigError`` to that exit and on to
``endpointctl.synth.SynthError`` is proven once each, end to end, by
``tests/infra/test_config_messages.py`` (``python app.py`` exits 2) and
``tests/infra/test_real_aws.py`` (``synthesize`` raises ``SynthError``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest

import app as cdk_app
from endpointctl import project_root
from endpointctl.synth import cdk_context
from infra import catalog
from infra.config import ConfigError

#: What the Neptune type needs to be deployable: its cluster's URL and resource id.
NEPTUNE = {
    "neptuneEndpoint": "https://graph.cluster-abc.us-east-1.neptune.amazonaws.com:8182",
    "neptuneClusterResourceId": "cluster-ABCDEF123",
}
#: ... plus its network: the Neptune function then runs in the cluster's VPC.
NEPTUNE_VPC = {
    **NEPTUNE,
    "neptuneVpcId": "vpc-0abc1234",
    "neptuneSubnetIds": "subnet-0aa11111,subnet-0bb22222",
    "neptuneSecurityGroupId": "sg-01234567",
}
#: The one execution role and the one key an inline SageMaker endpoint config may name.
SAGEMAKER_ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
SAGEMAKER_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

#: Every optional setting at once, each off its default, in ONE context: each distinct context
#: costs a cold test run a synth of 6-8 s, and these settings do not contradict one another (each
#: test reads the part of the template its setting shapes). Every catalog type is built (as the
#: local synth builds them by default), so Neptune's required settings are checked too. The stack
#: name differs from the default one (``MlEndpointController``) and so does the bus name, given
#: here (``busName``) rather than derived from the stack name: a test that needs the derivation
#: checks it in-process (``Config.from_context``), where it happens.
#: ``allowUnmanagedDeletes`` adds its role (tests/e2e/test_unmanaged_deletes.py runs deletes with
#: it), so the IAM reference check covers that role's statements too.
CUSTOM: dict[str, Any] = {
    "endpointTypes": list(catalog.rows()),
    "stackName": "MlEndpointControllerStaging",
    "busName": "team-a-endpoints",
    "notificationEmail": "ml-team@example.com",
    "alarmEmail": "oncall@example.com",
    "logRetentionDays": 90,
    "amlTimeoutSeconds": 900,
    "neptuneFirstCheckSeconds": 300,
    "maxPollIntervalSeconds": 20,
    "eventFallbackSeconds": 600,
    "amlRegion": "eu-west-1",
    "quotaCheck": False,
    **NEPTUNE_VPC,
    "sagemakerExecutionRoleArns": [SAGEMAKER_ROLE],
    "sagemakerKmsKeyArns": SAGEMAKER_KEY,
    "allowUnmanagedDeletes": True,
}


def cdk_json() -> dict[str, Any]:
    """``cdk.json``'s context: what ``cdk synth`` passes before any ``-c``."""
    return dict(json.loads((project_root() / "cdk.json").read_text())["context"])


def problems(context: dict[str, Any], *, local_synth: bool = False) -> list[str]:
    """The lines ``python app.py`` prints refusing ``context`` (before it exits 2), found
    in-process: ``app.build`` raises the ``ConfigError`` whose ``problems`` they are.

    The context is ``cdk.json``'s, then ``context`` (as ``cdk synth -c``); with ``local_synth``,
    the one ``endpointctl.synth.synthesize`` passes (``cdk_context``: every catalog type and the
    simulators' placeholder settings too, the caller's own keys winning)."""
    given = cdk_context(project_root(), context) if local_synth else {**cdk_json(), **context}
    with pytest.raises(ConfigError) as caught:
        cdk_app.build(cdk.App(context=given))
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def refusal(context: dict[str, Any], pattern: str) -> str:
    """The line of the local synth's refusal of ``context`` that ``pattern`` finds (``re.search``,
    as ``pytest.raises(SynthError, match=...)`` searched a failed synth's stderr, but within one
    problem line of the ``ConfigError``)."""
    found = problems(context, local_synth=True)
    matching = [line for line in found if re.search(pattern, line)]
    assert matching, (pattern, found)
    return matching[0]
