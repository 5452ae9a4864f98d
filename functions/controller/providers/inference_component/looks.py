"""Batched looks: many components waiting on one endpoint cost about what one does.

SageMaker publishes no events for inference components and botocore has no waiter for them, so a
component's readiness is polled, one Check per component per look. ``DescribeInferenceComponent``
answers for one component; ``ListInferenceComponents(EndpointNameEquals=...)`` answers for every
component of an endpoint, but its summaries (``InferenceComponentSummary``, botocore's model) carry
only the name, ARN, endpoint, variant, ``InferenceComponentStatus`` and times: no copy counts, no
specification, no ``FailureReason``.

So the list can say "still on its way" and nothing more: a component it shows ``Creating``,
``Updating`` or ``Deleting`` is described from the list alone. Every verdict needs the describe:
``InService`` (are all copies placed? does it serve what was asked?), ``Failed`` (the reason), and
a component the list does not show (gone, or too new to be listed: the describe decides).

The shared readiness steps call ``Provider.describe`` once per component per look and give no
place to batch, so the batch lives here: a short-lived cache per endpoint in the warm function
(a Lambda execution environment serves one invocation at a time, and keeps module state between
invocations), refreshed when older than :data:`FRESH_SECONDS` on the controller's clock. A
component's endpoint is learnt when it is created or first described (``remember``). N components
created together on one endpoint then cost about one ``ListInferenceComponents`` per look, plus
one describe each when they settle.
"""

from __future__ import annotations

from typing import Any

from controller import aws, clock

#: How long one list serves the looks of an endpoint's components (the controller's clock).
FRESH_SECONDS = 5.0
#: ``InferenceComponentStatus`` values the list may answer alone: nothing settled yet.
ON_ITS_WAY = frozenset({"Creating", "Updating", "Deleting"})
#: Endpoints remembered at most (the warm function's memory stays bounded).
_MAX_ENDPOINTS = 256

_ENDPOINT_OF: dict[str, str] = {}
_LISTED: dict[str, tuple[float, dict[str, dict[str, Any]]]] = {}


def remember(component: str, endpoint: str) -> None:
    """``component`` lives on ``endpoint`` (learnt from its create or a describe)."""
    if len(_ENDPOINT_OF) >= 4 * _MAX_ENDPOINTS:
        _ENDPOINT_OF.clear()
    _ENDPOINT_OF[component] = endpoint


def forget(component: str | None = None) -> None:
    """Drop what is known about ``component`` (everything when ``None``): after a call that
    changes it, its next look must not read an older list."""
    if component is None:
        _ENDPOINT_OF.clear()
        _LISTED.clear()
        return
    endpoint = _ENDPOINT_OF.get(component)
    if endpoint is not None:
        _LISTED.pop(endpoint, None)


def on_its_way(component: str) -> dict[str, Any] | None:
    """The list's summary of ``component`` when the list alone can answer (still on its way);
    ``None`` when a describe must (its endpoint unknown, settled, or not listed)."""
    endpoint = _ENDPOINT_OF.get(component)
    if endpoint is None:
        return None
    summary = _listed(endpoint).get(component)
    if summary is None or summary.get("InferenceComponentStatus") not in ON_ITS_WAY:
        return None
    return summary


def _listed(endpoint: str) -> dict[str, dict[str, Any]]:
    now = clock.now()
    held = _LISTED.get(endpoint)
    # A list from the clock's future (a clock set back: a new simulated world) is not fresh.
    if held is not None and 0 <= now - held[0] < FRESH_SECONDS:
        return held[1]
    found: dict[str, dict[str, Any]] = {}
    sagemaker = aws.client("sagemaker")
    token = None
    while True:
        page = sagemaker.list_inference_components(
            EndpointNameEquals=endpoint, MaxResults=100, **({"NextToken": token} if token else {})
        )
        for summary in page.get("InferenceComponents", []):
            found[str(summary["InferenceComponentName"])] = dict(summary)
        token = page.get("NextToken")
        if not token:
            break
    if len(_LISTED) >= _MAX_ENDPOINTS:
        _LISTED.clear()
    _LISTED[endpoint] = (now, found)
    return found
