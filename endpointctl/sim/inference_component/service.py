"""The simulated inference components themselves (moto has none): their records, the operations
SageMaker answers for them, and their progression on the virtual clock.

- create: ``Creating`` for ``createSeconds``, then ``InService`` with ``CurrentCopyCount ==
  DesiredCopyCount``, or ``Failed`` with the scenario's ``failureReason``;
- update: ``Updating`` for ``update.seconds``, then per ``update.outcome``: ``InService`` with the
  new specification and copies live; ``RolledBack``: ``InService`` with the *previous*
  specification and copy count live and ``FailureReason`` set; ``Failed``: ``Failed`` with it.
  AWS does not document what ``DescribeInferenceComponent`` shows after an automatic rollback
  (``AutoRollbackConfiguration``: "Automatic rollback configuration for handling endpoint
  deployment failures and recovery", API_InferenceComponentDeploymentConfig): this simulation
  shows the previous specification live with a reason, so a provider must decide by comparing the
  live specification and copy count with what it asked for, never by the status alone;
- ``UpdateInferenceComponentRuntimeConfig``: only the copy count, ``Updating`` for
  ``update.seconds``, then ``InService`` with the new count (it has no deployment to roll back);
- delete: ``Deleting`` for ``deleteSeconds``, then gone; the endpoint is never touched.

Placement (``placement.py``, ``capacity.py``): at the end of a create, an update (either kind)
or when Application Auto Scaling moves the copy count, the copies must fit on the variant's
instances beside the other components' copies. AWS documents no status for copies that do not
fit, so the simulation chooses: a create is ``Failed`` with a ``FailureReason`` naming the
shortfall ("insufficient capacity on endpoint E variant V: 3 of 4 copies placed (each needs ...;
ml.g5.2xlarge x 2 has ...)"), no copy placed; an update is rolled back as above (the previous
specification and copies live, ``InService``, the reason set), which for
``UpdateInferenceComponentRuntimeConfig`` means its previous copy count; an autoscaling change
places what fits and leaves ``CurrentCopyCount`` below ``DesiredCopyCount``.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from moto.sagemaker.exceptions import ValidationError

from endpointctl.sim.inference_component import placement, rules
from endpointctl.sim.inference_component.capacity import Resources, requirements
from endpointctl.sim.inference_component.scenario import Component, PendingUpdate

if TYPE_CHECKING:
    from endpointctl.sim.inference_component import InferenceComponentSimulator

#: ``ListInferenceComponents``' ``SortBy`` → the record's key.
_SORT = {"Name": "name", "CreationTime": "created", "Status": "status"}


def _time(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def summary_of(specification: Any) -> Any:
    """A specification as ``Describe`` shows it (``InferenceComponentSpecificationSummary``): the
    container's ``Image`` becomes ``DeployedImage.SpecifiedImage`` (and ``ResolvedImage``)."""
    if isinstance(specification, list):
        return [summary_of(item) for item in specification]
    shown = dict(specification)
    container = shown.get("Container")
    if isinstance(container, dict):
        container = dict(container)
        image = container.pop("Image", None)
        if image is not None:
            container["DeployedImage"] = {"SpecifiedImage": image, "ResolvedImage": image}
        shown["Container"] = container
    return shown


class Components:
    """Every inference component of the simulated account and region, by name."""

    def __init__(self, sim: InferenceComponentSimulator) -> None:
        self.sim = sim
        self.items: dict[str, Component] = {}
        #: When what each execution asked for reached its terminal status.
        self.terminal: dict[str, tuple[str | None, float]] = {}
        self.deleted: list[tuple[str | None, float]] = []

    # -- time ---------------------------------------------------------------------------------------
    def refresh(self, name: str) -> Component | None:
        """One component brought up to the virtual clock (``None``: it does not exist)."""
        self._advance()
        return self.items.get(name)

    def _due(self, found: Component) -> float | None:
        """When the component's next change happens (``None``: nothing under way)."""
        scenario = self.sim.scenario
        if found.delete_at is not None:
            return found.delete_at + scenario.deleteSeconds
        if found.ready_at is not None:
            return found.ready_at
        if found.update is not None:
            return found.update.at + scenario.update.seconds
        return None

    def _advance(self) -> None:
        """Every change due by now, in the order of the virtual clock (then of creation), so a
        component placed earlier holds its instances before a later one looks for room."""
        now = self.sim.clock.now()
        while True:
            due = sorted(
                (at, c.created, c.name)
                for c in self.items.values()
                if (at := self._due(c)) is not None and at <= now
            )
            if not due:
                return
            # A step settles its own component only: the others' moments stand, so all that are
            # due go in one pass (one look at every component, not one per step).
            for at, _, name in due:
                found = self.items.get(name)
                if found is not None and self._due(found) == at:
                    self._step(found, at)

    def _step(self, found: Component, at: float) -> None:
        scenario = self.sim.scenario
        if found.delete_at is not None:
            del self.items[found.name]
            self.deleted.append((found.delete_execution, at))
            self.sim.released(found.name)
        elif found.ready_at is not None:
            found.modified, found.ready_at = at, None
            if scenario.outcome == "InService":
                reason = self._unplaced(found, found.specification, found.desired)
                if reason is None:
                    found.status, found.current = "InService", found.desired
                else:
                    found.status, found.failure_reason = "Failed", reason
            else:
                found.status = "Failed"
                found.failure_reason = (
                    scenario.failureReason or "simulated: the inference component failed to start"
                )
            self.terminal.setdefault(found.name, (found.execution, at))
        elif found.update is not None:
            self._settle(found, found.update, at)

    # -- placement ----------------------------------------------------------------------------------
    def _variant(self, found: Component) -> placement.Variant | None:
        return placement.variant_of(self.sim.sagemaker(), found.endpoint_name, found.variant)

    def _held(self, found: Component, variant: placement.Variant | None) -> list[tuple[Resources, int]]:
        """The copies of the variant's other components, placed, in creation order."""
        kind = variant.instance_type if variant is not None else None
        others = sorted(
            (
                c
                for c in self.items.values()
                if c is not found
                and c.endpoint_name == found.endpoint_name
                and c.variant == found.variant
                and c.current > 0
            ),
            key=lambda c: (c.created, c.name),
        )
        return [(requirements(c.specification, kind), c.current) for c in others]

    def _placeable(self, found: Component, specification: Any, copies: int) -> int:
        """How many of ``copies`` copies of ``specification`` fit beside the other components."""
        variant = self._variant(found)
        kind = variant.instance_type if variant is not None else None
        return placement.fit(variant, self._held(found, variant), requirements(specification, kind), copies)

    def _unplaced(self, found: Component, specification: Any, copies: int) -> str | None:
        """Why not every copy fits (``None``: they all do; see ``placement``)."""
        variant = self._variant(found)
        if variant is None or variant.capacity is None:
            return None
        held, need = self._held(found, variant), requirements(specification, variant.instance_type)
        placed = placement.fit(variant, held, need, copies)
        if placed >= copies:
            return None
        return placement.shortfall(found.endpoint_name, found.variant, variant, held, need, placed, copies)

    def _settle(self, found: Component, update: PendingUpdate, at: float) -> None:
        found.update, found.modified = None, at
        # The update's own terminal time (the runner's readyAfterSeconds of the updating execution),
        # as the SageMaker simulator records an endpoint's update.
        self.terminal[f"{found.name}@update{update.at}"] = (found.execution, at)
        outcome = "InService" if update.runtime_only else self.sim.scenario.update.outcome
        reason = self.sim.scenario.update.failureReason
        if outcome == "InService":
            unplaced = self._unplaced(
                found,
                found.specification if update.specification is None else update.specification,
                found.desired if update.copies is None else update.copies,
            )
            if unplaced is not None:
                outcome, reason = "RolledBack", f"rolled back: {unplaced}"
        if outcome == "InService":
            if update.specification is not None:
                found.specification = update.specification
            if update.copies is not None:
                found.desired = update.copies
            found.status, found.current, found.failure_reason = "InService", found.desired, None
        elif outcome == "RolledBack":
            found.status, found.current = "InService", found.desired  # the previous ones, still live
            found.failure_reason = reason or "simulated: the deployment was rolled back (an alarm fired)"
        else:
            found.status = "Failed"
            found.failure_reason = reason or "simulated: the inference component update failed"

    def all(self) -> list[Component]:
        self._advance()
        return list(self.items.values())

    def on_endpoint(self, endpoint: str) -> list[str]:
        return sorted(c.name for c in self.all() if c.endpoint_name == endpoint)

    # -- operations ---------------------------------------------------------------------------------
    def create(self, params: dict[str, Any], *, settled: bool = False) -> dict[str, Any]:
        rules.one_specification(params, create=True)
        name, endpoint = str(params["InferenceComponentName"]), str(params["EndpointName"])
        if self.refresh(name) is not None:
            # "A unique name to assign to the inference component" (API_CreateInferenceComponent)
            raise ValidationError(
                message=f'Cannot create already existing inference component "{rules.component_arn(name)}".'
            )
        status, variants = self.sim.endpoint(endpoint)
        rules.endpoint_ready(endpoint, status)
        variant = rules.variant_on(endpoint, params.get("VariantName"), variants)
        key = "Specification" if params.get("Specification") is not None else "Specifications"
        copies = int((params.get("RuntimeConfig") or {}).get("CopyCount", 1))
        now = self.sim.clock.now()
        component = Component(
            name=name,
            arn=rules.component_arn(name),
            endpoint_name=endpoint,
            endpoint_arn=rules.endpoint_arn(endpoint),
            variant=variant,
            spec_key=key,
            specification=params[key],
            desired=copies,
            current=copies if settled else 0,
            created=now,
            modified=now,
            status="InService" if settled else "Creating",
            tags=[dict(t) for t in params.get("Tags") or []],
            ready_at=None if settled else now + self.sim.scenario.createSeconds,
            execution=self.sim.log.execution,
        )
        self.items[name] = component
        return {"InferenceComponentArn": component.arn}

    def get(self, name: str) -> Component:
        found = self.refresh(name)
        if found is None:
            raise rules.not_found(name)
        return found

    def describe(self, name: str) -> dict[str, Any]:
        c = self.get(name)
        answer: dict[str, Any] = {
            "InferenceComponentName": c.name,
            "InferenceComponentArn": c.arn,
            "EndpointName": c.endpoint_name,
            "EndpointArn": c.endpoint_arn,
            "VariantName": c.variant,
            c.spec_key: summary_of(c.specification),
            "RuntimeConfig": self._runtime(c),
            "CreationTime": _time(c.created).isoformat(),
            "LastModifiedTime": _time(c.modified).isoformat(),
            "InferenceComponentStatus": "Updating" if c.update is not None else c.status,
        }
        if c.failure_reason is not None:
            answer["FailureReason"] = c.failure_reason
        if c.last_deployment is not None:
            answer["LastDeploymentConfig"] = c.last_deployment
        return answer

    def _runtime(self, c: Component) -> dict[str, Any]:
        """``RuntimeConfig`` (``InferenceComponentRuntimeConfigSummary``), with ``PlacementStatus``
        once a copy is placed (see ``placement``)."""
        runtime: dict[str, Any] = {"DesiredCopyCount": c.desired, "CurrentCopyCount": c.current}
        status = placement.placement_status(self._variant(c) if c.current > 0 else None, c.current)
        if status is not None:
            runtime["PlacementStatus"] = status
        return runtime

    def list(self, params: dict[str, Any]) -> dict[str, Any]:
        """``ListInferenceComponents``: its filters (``EndpointNameEquals``, ``VariantNameEquals``,
        ``StatusEquals``, ``NameContains``, the time bounds), ``SortBy`` (default ``CreationTime``)
        and ``SortOrder`` (default ``Descending``), pages of ``MaxResults`` (default 10) with an
        opaque ``NextToken`` (API_ListInferenceComponents)."""
        shown = [self.describe(c.name) for c in self.all()]
        wanted = {
            "EndpointNameEquals": "EndpointName",
            "VariantNameEquals": "VariantName",
            "StatusEquals": "InferenceComponentStatus",
        }
        for key, member in wanted.items():
            if params.get(key) is not None:
                shown = [s for s in shown if s[member] == params[key]]
        if params.get("NameContains") is not None:
            shown = [
                s for s in shown if str(params["NameContains"]).lower() in s["InferenceComponentName"].lower()
            ]
        for key, member, later in (
            ("CreationTimeAfter", "CreationTime", True),
            ("CreationTimeBefore", "CreationTime", False),
            ("LastModifiedTimeAfter", "LastModifiedTime", True),
            ("LastModifiedTimeBefore", "LastModifiedTime", False),
        ):
            bound = params.get(key)
            if bound is not None:
                limit = (
                    _time(float(bound))
                    if isinstance(bound, int | float)
                    else datetime.datetime.fromisoformat(str(bound))
                )
                shown = [s for s in shown if (datetime.datetime.fromisoformat(s[member]) > limit) == later]
        sort = {"Name": "InferenceComponentName", "Status": "InferenceComponentStatus"}.get(
            str(params.get("SortBy")), "CreationTime"
        )
        shown.sort(
            key=lambda s: (s[sort], s["InferenceComponentName"]),
            reverse=params.get("SortOrder", "Descending") == "Descending",
        )
        start = int(params["NextToken"]) if str(params.get("NextToken") or "").isdigit() else 0
        size = int(params.get("MaxResults") or 10)
        page = shown[start : start + size]
        keys = (
            "CreationTime",
            "InferenceComponentArn",
            "InferenceComponentName",
            "EndpointArn",
            "EndpointName",
            "VariantName",
            "InferenceComponentStatus",
            "LastModifiedTime",
        )
        answer: dict[str, Any] = {"InferenceComponents": [{k: s[k] for k in keys} for s in page]}
        if start + size < len(shown):
            answer["NextToken"] = str(start + size)
        return answer

    def update(self, params: dict[str, Any]) -> dict[str, Any]:
        rules.one_specification(params, create=False)
        rules.something_to_update(params)
        name = str(params["InferenceComponentName"])
        found = self.get(name)
        rules.updatable(name, "Updating" if found.update is not None else found.status)
        spec = params.get("Specification", params.get("Specifications"))
        copies = (params.get("RuntimeConfig") or {}).get("CopyCount")
        if spec is not None:
            found.spec_key = "Specification" if params.get("Specification") is not None else "Specifications"
        found.update = PendingUpdate(self.sim.clock.now(), spec, copies, params.get("DeploymentConfig"))
        if params.get("DeploymentConfig") is not None:
            found.last_deployment = params["DeploymentConfig"]
        found.modified, found.failure_reason = self.sim.clock.now(), None
        found.execution = self.sim.log.execution
        return {"InferenceComponentArn": found.arn}

    def update_runtime(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params["InferenceComponentName"])
        found = self.get(name)
        rules.updatable(name, "Updating" if found.update is not None else found.status)
        copies = int(params["DesiredRuntimeConfig"]["CopyCount"])
        found.update = PendingUpdate(self.sim.clock.now(), None, copies, None, runtime_only=True)
        found.modified, found.failure_reason = self.sim.clock.now(), None
        found.execution = self.sim.log.execution
        return {"InferenceComponentArn": found.arn}

    def delete(self, name: str) -> None:
        """``Deleting`` for ``deleteSeconds``, then gone; a second delete while it is ``Deleting``
        changes nothing (the wording of a refusal, if SageMaker has one, is not documented)."""
        found = self.get(name)
        if found.delete_at is None:
            found.delete_at, found.status, found.update = self.sim.clock.now(), "Deleting", None
            found.ready_at = None
            found.delete_execution = self.sim.log.execution

    def scale(self, name: str, copies: int) -> None:
        """Application Auto Scaling set the component's copy count (a policy acted, or a target's
        limits moved it): the desired count changes and, the component being placed, the current
        one follows at once, as far as the copies fit (``placement``): a copy that does not fit
        stays wanted, ``CurrentCopyCount`` below ``DesiredCopyCount``, the component still
        ``InService`` (its live copies serve; AWS does not document a status for copies waiting on
        capacity)."""
        found = self.refresh(name)
        if found is None or found.delete_at is not None:
            return
        found.desired = copies
        if found.status == "InService" and found.update is None:
            found.current = self._placeable(found, found.specification, copies)
        found.modified = self.sim.clock.now()
