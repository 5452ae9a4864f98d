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
place to batch, so the batch lives here: a cache per endpoint in the warm function (a Lambda
execution environment serves one invocation at a time, and keeps module state between
invocations). A list serves a component's look only when it was fetched *after that component's
previous look* (so every look of a component learns something new, and a verdict comes at most one
poll interval later than a look of its own would bring it), and while it is younger than
:data:`FRESH_SECONDS` on the controller's clock. Tying freshness to each component's own looks
rather than to a few seconds matters because looks are spread on purpose: adaptive polling jitters
the first look up to 10 % later so concurrent lifecycles do not poll in lockstep, which scattered
twenty components created together over more than a short cache's window (measured in the runner:
86 lists for 20 components with a 5-s cache, against 19 for one; about 2 per round of looks now).
A component's endpoint is learnt when it is created or first described (``remember``). N
components created together on one endpoint then cost about one ``ListInferenceComponents`` per
round of looks, plus one describe each when they settle.
"""

from __future__ import annotations

from typing import Any

from controller import aws, clock

#: How long one list may serve the looks of an endpoint's components (the controller's clock), at
#: most: a component never reads a list fetched before its own previous look.
FRESH_SECONDS = 60.0
#: ``InferenceComponentStatus`` values the list may answer alone: nothing settled yet.
ON_ITS_WAY = frozenset({"Creating", "Updating", "Deleting"})
#: Endpoints remembered at most (the warm function's memory stays bounded).
_MAX_ENDPOINTS = 256

_ENDPOINT_OF: dict[str, str] = {}
_LISTED: dict[str, tuple[float, dict[str, dict[str, Any]]]] = {}
#: When each component was last looked at through a list (the controller's clock).
_LOOKED: dict[str, float] = {}


def remember(component: str, endpoint: str) -> None:
    """``component`` lives on ``endpoint`` (learnt from its create or a describe)."""
    if len(_ENDPOINT_OF) >= 4 * _MAX_ENDPOINTS:
        _ENDPOINT_OF.clear()
        _LOOKED.clear()
    _ENDPOINT_OF[component] = endpoint


def forget(component: str | None = None) -> None:
    """Drop what is known about ``component`` (everything when ``None``): after a call that
    changes it, its next look must not read an older list."""
    if component is None:
        _ENDPOINT_OF.clear()
        _LISTED.clear()
        _LOOKED.clear()
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
    now = clock.now()
    previous = _LOOKED.get(component)
    # A look from the clock's future (a clock set back: a new simulated world) does not count.
    since = previous if previous is not None and previous <= now else None
    summary = _listed(endpoint, since).get(component)
    _LOOKED[component] = now
    if summary is None or summary.get("InferenceComponentStatus") not in ON_ITS_WAY:
        return None
    return summary


def _listed(endpoint: str, since: float | None) -> dict[str, dict[str, Any]]:
    """The endpoint's components by name, from a list fetched after ``since`` (the asking
    component's previous look) and fresh, else from a new one."""
    now = clock.now()
    held = _LISTED.get(endpoint)
    # A list from the clock's future (a clock set back: a new simulated world) is not fresh.
    if held is not None and 0 <= now - held[0] < FRESH_SECONDS and (since is None or held[0] > since):
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
