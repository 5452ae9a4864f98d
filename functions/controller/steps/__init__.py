"""The lifecycle's steps, the same for every endpoint type, grouped by phase.

- ``intake``: ``validate`` (read the request, claim its id) and ``reject`` (answer one that could
  not be read);
- ``readiness``: ``create``, ``check`` (adaptive or fixed polling), ``await`` (a parked task token)
  and ``resume`` (the service's state-change event that hands the token back);
- ``teardown``: the rollback of what a failed create made, and ``action: delete``;
- ``conclusion``: ``outcome`` (the notification's detail) and ``replay`` (a repeated request).

Each takes the parsed :class:`~controller.step_event.StepEvent` (``resume``: the service's event)
and returns the next state; ``controller.dispatch`` routes to them. Whatever is type-specific is
the provider's (``controller.providers``).
"""
