"""Which deployment of the controller this function belongs to: its CloudFormation stack's name.

Two stacks (prod and staging, say) may share an account and region. Their metrics, expiry
schedules and SageMaker resources live side by side, so what one stack counts or owns must say
which stack it is: the metrics carry the stack as a dimension (``controller.metrics``), and what the
SageMaker function creates carries it as a tag (``controller.providers.sagemaker``). The stack sets
the variable (``infra/function.py``); the local runner sets it from the template.
"""

from __future__ import annotations

import os

from controller import catalog


def stack_name() -> str | None:
    """The stack's name; ``None`` outside a deployment that says (a unit test)."""
    return os.environ.get(catalog.CONTROLLER.stack_variable) or None
