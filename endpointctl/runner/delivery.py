"""The default bus: the simulated services' events, delivered to the synthesized rules.

moto's EventBridge does not deliver to targets the way the controller needs, so the runner does:
every rule on the default bus whose pattern matches (moto's own ``EventPattern`` matcher) sends the
event to its Lambda targets, which run the real handler. EventBridge invokes a Lambda target
asynchronously, so a function error is retried twice, 1 and 2 minutes later (Lambda's retries of
an asynchronous invocation), then the event is given up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from endpointctl.runner.moto_patches import Invoke
from endpointctl.sim.virtual_clock import VirtualClock
from endpointctl.template import Resolver

#: Lambda's retries of an asynchronous invocation that failed (EventBridge targets are async).
ASYNC_RETRIES = 2


class DefaultBus:
    def __init__(
        self,
        rules: list[dict[str, Any]],
        resolve: Resolver,
        invoke: Invoke,
        clock: VirtualClock,
        may_invoke: Callable[[dict[str, Any], str], bool] = lambda rule, function: True,
    ) -> None:
        """``may_invoke(rule, function_arn)``: whether EventBridge may invoke the function for
        that rule (its resource policy, ``AWS::Lambda::Permission``); a refused target fails
        like a function error."""
        self.rules, self.resolve, self.invoke, self.clock = rules, resolve, invoke, clock
        self.may_invoke = may_invoke
        #: Every event the simulated services put on the bus, and deliveries given up.
        self.events: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []

    def put(self, event: dict[str, Any]) -> None:
        """Put a service's event on the default bus: matching rules send it to their targets."""
        from moto.events.models import EventPattern

        self.events.append(event)
        for rule in self.rules:
            if not EventPattern.load(json.dumps(rule["EventPattern"])).matches_event(event):
                continue
            for target in rule.get("Targets", []):
                arn = str(self.resolve(target["Arn"]))
                if ":lambda:" in arn:
                    self._to_function(rule, arn, event)

    def _to_function(self, rule: dict[str, Any], arn: str, event: dict[str, Any], attempt: int = 0) -> None:
        headers: dict[str, str] = {}
        if self.may_invoke(rule, arn):
            self.invoke(arn.rsplit(":", 1)[-1], json.dumps(event), headers)
        else:
            headers["x-amz-function-error"] = "AccessDenied"
        if "x-amz-function-error" not in headers:
            return
        if attempt < ASYNC_RETRIES:
            later = self.clock.now() + 60 * (attempt + 1)
            self.clock.call_at(later, lambda: self._to_function(rule, arn, event, attempt + 1))
        else:
            self.failures.append({"event": event, "target": arn})
