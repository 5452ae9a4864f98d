"""SageMaker's state-change events, read as the controller compares them with what it has seen.

Two detail-types (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
``SageMaker Endpoint State Change``, the endpoint's status in upper snake case (``IN_SERVICE``),
and, while an update deploys, ``SageMaker Endpoint Deployment State Change``, the same detail with
the update's ``PendingDeploymentSummary``, whose new variants' ``VariantStatus`` is its phase
(Creating, ActivatingTraffic, Baking; "Baking" in the documented example). A status reads here as
``DescribeEndpoint``'s does for people (``Updating (Baking)``, ``update.deployment_phase``), so a
waiting update can tell a phase it has not recorded yet from a duplicate or a late copy of one it
has ("SageMaker AI may send multiple events to EventBridge for each state change", same page)
without looking at the endpoint.
"""

from __future__ import annotations

from typing import Any

from controller.providers.sagemaker.update import deployment_phase


def spelled(raw: str) -> str:
    """``DescribeEndpoint``'s spelling of a status an event spells in upper snake case
    (``IN_SERVICE`` → ``InService``, ``UPDATE_ROLLBACK_FAILED``); either is read."""
    if raw.isupper() or "_" in raw:
        return "".join(word.title() for word in raw.split("_"))
    return raw


def reported_status(detail: dict[str, Any]) -> str:
    """The status an event's ``detail`` reports, with the deployment's phase when it carries one:
    ``InService``, ``Updating (Baking)``."""
    status = spelled(str(detail.get("EndpointStatus") or ""))
    return status + deployment_phase(_phases(detail.get("PendingDeploymentSummary")))


def _phases(pending: Any) -> Any:
    """``pending`` with each variant's ``VariantStatus`` in DescribeEndpoint's spelling."""
    if not isinstance(pending, dict) or not isinstance(pending.get("ProductionVariants"), list):
        return pending
    variants = [
        {
            **variant,
            "VariantStatus": [
                {**status, "Status": spelled(str(status.get("Status") or ""))}
                for status in variant.get("VariantStatus") or []
                if isinstance(status, dict)
            ],
        }
        for variant in pending["ProductionVariants"]
        if isinstance(variant, dict)
    ]
    return {**pending, "ProductionVariants": variants}
