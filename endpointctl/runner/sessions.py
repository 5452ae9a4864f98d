"""What botocore does again for every session and client a run makes, done once for the run.

A run makes about ten botocore sessions and clients (boto3's default session of the world, each
client of the stager and of the handlers, moto's own). For each one botocore registers its event
handlers: it checks every handler accepts ``**kwargs`` with ``inspect.getfullargspec`` (~600
checks of ~100 functions, 10-15 ms of a cached ``local run``) and rewrites every event name by its
aliases, again for each new emitter.
And moto makes a whole session (its handlers registered again) to map a package name to a service
name whenever it first serializes a service's error.

Neither changes what a call does: a function's signature does not change, and the service list is
the one the shared loader (``endpointctl.runner.models``) already read.
"""

from __future__ import annotations

import functools
import weakref
from contextlib import ExitStack
from typing import Any
from unittest import mock


def install(stack: ExitStack) -> None:
    check_handlers_once(stack)
    alias_event_names_once(stack)
    service_names_from_shared_loader(stack)


def check_handlers_once(stack: ExitStack) -> None:
    """botocore's ``accepts_kwargs`` (``botocore.hooks``), answered once per function: a bound
    method by its function, any other callable by itself (held weakly; one that cannot be is
    checked each time, as before)."""
    from botocore import hooks

    original = hooks.accepts_kwargs
    known: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    def accepts_kwargs(func: Any) -> Any:  # botocore's answer: the name of its ** parameter, or None
        key = getattr(func, "__func__", func)
        try:
            return known[key]
        except KeyError:
            answer = known[key] = original(func)
            return answer
        except TypeError:  # not weakly referable (nor hashable)
            return original(func)

    stack.enter_context(mock.patch.object(hooks, "accepts_kwargs", accepts_kwargs))


def alias_event_names_once(stack: ExitStack) -> None:
    """botocore's ``EventAliaser`` (``botocore.hooks``) rewrites each event name by its table of
    aliases (``EVENT_ALIASES``) once per emitter, and every session and client has its own: each
    registers ~150 handlers, so each new one worked out the same names again (~20 ms a run). The
    rewriting is a pure function of the name and the table: for the default table (or a copy of
    it, as each client has) it is kept for the run; an emitter with a table of its own works as
    before."""
    from botocore import hooks

    original = hooks.EventAliaser._alias_event_name
    default = hooks.EVENT_ALIASES
    whole_parts = frozenset(old for old in default if "." not in old)
    dotted = tuple(old for old in default if "." in old)
    names: dict[str, str] = {}

    def _alias_event_name(aliaser: Any, event_name: str) -> str:
        own = aliaser._alias_name_cache  # the emitter's own memory first, as botocore looks
        if event_name in own:
            return str(own[event_name])
        # A client's emitter is a copy of its session's, with a copy of the table (__copy__).
        if aliaser._event_aliases is not default and aliaser._event_aliases != default:
            return str(original(aliaser, event_name))
        aliased = names.get(event_name)
        if aliased is None:
            # botocore rewrites a name only where one of its parts is an alias, or where a dotted
            # alias occurs in it; any other name it returns as it is (most names: ~400 a run).
            parts = event_name.split(".")
            if whole_parts.isdisjoint(parts) and not any(old in event_name for old in dotted):
                aliased = event_name
            else:
                aliased = str(original(aliaser, event_name))
            names[event_name] = aliased
        own[event_name] = aliased
        return aliased

    stack.enter_context(mock.patch.object(hooks.EventAliaser, "_alias_event_name", _alias_event_name))


def service_names_from_shared_loader(stack: ExitStack) -> None:
    """moto's ``service_name_from_moto_package_name`` (``moto.core.utils``) builds its table from
    a new ``Session().get_available_services()``; here from the shared loader's list, the same
    one (``Session.get_available_services`` is its loader's ``list_available_services``)."""
    from moto.core import utils

    from endpointctl.runner.models import shared_loader

    @functools.cache
    def service_name_from_moto_package_name(moto_package_name: str) -> str:
        names = shared_loader(None).list_available_services("service-2")
        table = {name.replace("-", ""): name for name in names}
        return table.get(moto_package_name, moto_package_name)

    stack.enter_context(
        mock.patch.object(utils, "service_name_from_moto_package_name", service_name_from_moto_package_name)
    )
