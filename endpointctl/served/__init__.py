"""The served world: a simulated AWS account behind moto's HTTP API on loopback, in real time, in
which a stack deployed with the real CDK CLI runs (``endpointctl local deploy --keep``).

- ``world``: :class:`ServedWorld`, the local runner's machinery (moto with executing state
  machines, the handlers in-process, EventBridge delivery, the simulated services) on the wall clock;
- ``clock``: :class:`RealClock`, the wall clock in the virtual clock's shape;
- ``server``: the process (``python -m endpointctl.served``) that serves a world over HTTP;
- ``commands``: ``local deploy``, ``local serve`` and ``local destroy``.
"""

from __future__ import annotations

from endpointctl.served.commands import register

__all__ = ["register"]
