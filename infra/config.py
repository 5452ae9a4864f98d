"""Deploy configuration, read from CDK context (``cdk.json`` or ``-c key=value``).

This module owns the shared keys (stack and bus names, retention, e-mails, polling bounds, which
endpoint types deploy) and the generic per-type keys ``<type>TimeoutSeconds`` /
``<type>FirstCheckSeconds``, read once for every type in the registry, ``<type>`` being the type's
name in camelCase (``foo-bar`` → ``fooBarTimeoutSeconds``:
``infra.catalog.context_key``). A type's own keys are its
settings slice (``TypeSettings``), read and checked by its module in ``infra/endpoint_types/``;
:class:`Config` holds them by type name.

``endpointTypes`` (a list, a JSON list or a comma-separated string of catalog names; cdk.json's
default lists one) says which types the stack builds; absent, every catalog type. A name the catalog
does not have fails the synth, naming it, and so does a listed type whose own required settings
are missing (its ``TypeSettings.require``). A type registered from code (``infra.endpoint_types
.register``, a test's own type) is built whenever it is registered: registering it is that choice.

Reading the context reports every problem at once, one line each (:class:`ConfigError`'s
``problems``), including a key of this app's style (``camelCase``) that it does not read: a typo
such as ``logRetentionDay`` would otherwise be ignored in silence, so it fails the synth with the
key it resembles. Keys with ``:``, ``@``, ``/`` or ``-`` belong to the CDK and its libraries.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from constructs import Node

from infra import endpoint_types as registry
from infra.catalog import context_key
from infra.endpoint_types.base import TypeSettings
from infra.polling import EVENT_FALLBACK_SECONDS

_BUS_NAME = re.compile(r"^[A-Za-z0-9._\-/]{1,256}$")
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


def kebab(name: str) -> str:
    """``MlEndpointControllerStaging`` → ``ml-endpoint-controller-staging``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


@dataclass(frozen=True)
class TypeDefaults:
    """A deployment's defaults for one endpoint type; ``None``: the built-in value."""

    #: ``options.timeoutSeconds`` of a request that sets none.
    timeout_seconds: int | None = None
    #: When the first look comes (adaptive polling; see infra/polling.py).
    first_check_seconds: int | None = None


class ConfigError(ValueError):
    """Context values are missing or malformed; the message says which and how to fix each, one
    problem per line (``problems``)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]

    @classmethod
    def of(cls, problems: list[str]) -> ConfigError:
        return cls("\n".join(problems), problems)


T = TypeVar("T")

#: A context key in this app's style; others (``@aws-cdk/...``, ``aws:cdk:...``, ``cli-telemetry``)
#: belong to the CDK and its libraries.
_OWN_KEY = re.compile(r"^[a-z][A-Za-z0-9]*$")


def _all_types() -> tuple[str, ...]:
    return registry.names()


def _default_settings() -> dict[str, TypeSettings]:
    return {name: registry.get(name).settings_type() for name in registry.names()}


@dataclass(frozen=True)
class Config:
    """Everything a deployer can set. Defaults make a stack that synthesizes offline."""

    stack_name: str = "MlEndpointController"
    #: Default: the stack name in kebab case (``ml-endpoint-controller``), so stacks do not collide.
    bus_name: str = ""
    log_retention_days: int = 30
    #: The Powertools layer's version (infra/function.py POWERTOOLS_LAYER_RELEASES: its release).
    powertools_layer_version: int = 40
    #: The endpoint types this deployment builds a lifecycle for (one state machine each).
    endpoint_types: tuple[str, ...] = field(default_factory=_all_types)
    #: Per endpoint type: its own settings (its module's ``TypeSettings``).
    settings: dict[str, TypeSettings] = field(default_factory=_default_settings)
    #: Who gets every outcome notification, and who gets the alarms (e-mail subscriptions).
    notification_email: str | None = None
    alarm_email: str | None = None
    #: Per endpoint type: default timeout and first look.
    defaults: dict[str, TypeDefaults] = field(default_factory=dict)
    #: Adaptive polling's cap between looks (bounds detection latency), and the event fallback.
    max_poll_interval_seconds: int = 30
    event_fallback_seconds: int = EVENT_FALLBACK_SECONDS
    #: ``action: delete`` may remove endpoints the controller did not create (context
    #: ``allowUnmanagedDeletes``); rollbacks never may.
    allow_unmanaged_deletes: bool = False
    #: Requests that provision instances are refused before anything is created when the
    #: account's instance quotas have no room (context ``quotaCheck``; false for accounts whose
    #: policies forbid ``servicequotas:*``: infra/quotas.py).
    quota_check: bool = True

    def __post_init__(self) -> None:
        if not self.bus_name:
            object.__setattr__(self, "bus_name", kebab(self.stack_name))

    @classmethod
    def from_context(cls, node: Node) -> Config:
        """The configuration the context asks for; a :class:`ConfigError` naming every problem."""
        problems: list[str] = []
        read = {"endpointTypes"}

        def get(key: str, default: Any = None) -> Any:
            read.add(key)
            value = node.try_get_context(key)
            return default if value in (None, "") else value

        def attempt(reading: Callable[[], T], fallback: T) -> T:
            try:
                return reading()
            except ConfigError as exc:
                problems.extend(exc.problems)
                return fallback

        def whole(key: str, default: int) -> int:
            return attempt(lambda: _int(get(key, default), key), default)

        def optional(key: str) -> int | None:
            return attempt(lambda: _optional_int(get(key), key), None)

        types = registry.names()
        nothing: tuple[str, ...] = ()  # a bad endpointTypes builds no type (so requires nothing)
        deployed = attempt(lambda: _endpoint_types(node.try_get_context("endpointTypes")), nothing)
        stack_name = str(get("stackName", cls.stack_name))
        settings: dict[str, TypeSettings] = {}
        for name in types:
            kind: type[TypeSettings] = registry.get(name).settings_type
            settings[name] = attempt(partial(kind.from_context, get), kind())
        config = cls(
            stack_name=stack_name,
            bus_name=str(get("busName", kebab(stack_name))),
            log_retention_days=whole("logRetentionDays", cls.log_retention_days),
            powertools_layer_version=whole("powertoolsLayerVersion", cls.powertools_layer_version),
            endpoint_types=deployed,
            settings=settings,
            notification_email=get("notificationEmail"),
            alarm_email=get("alarmEmail"),
            defaults={
                t: TypeDefaults(
                    timeout_seconds=optional(context_key(t, "TimeoutSeconds")),
                    first_check_seconds=optional(context_key(t, "FirstCheckSeconds")),
                )
                for t in types
            },
            max_poll_interval_seconds=whole("maxPollIntervalSeconds", cls.max_poll_interval_seconds),
            event_fallback_seconds=whole("eventFallbackSeconds", cls.event_fallback_seconds),
            allow_unmanaged_deletes=attempt(
                lambda: _bool(get("allowUnmanagedDeletes", False), "allowUnmanagedDeletes"), False
            ),
            quota_check=attempt(lambda: _bool(get("quotaCheck", True), "quotaCheck"), True),
        )
        problems += config.problems()
        problems += unknown_keys(node.get_all_context() or {}, read | _settings_keys(types))
        if problems:
            raise ConfigError.of(problems)
        return config

    def type_defaults(self, endpoint_type: str) -> TypeDefaults:
        return self.defaults.get(endpoint_type) or TypeDefaults()

    def type_settings(self, endpoint_type: str) -> TypeSettings:
        """The type's own settings: as given, or its defaults."""
        given = self.settings.get(endpoint_type)
        return given if given is not None else registry.get(endpoint_type).settings_type()

    def check(self) -> None:
        """A :class:`ConfigError` naming every problem, if there is any."""
        problems = self.problems()
        if problems:
            raise ConfigError.of(problems)

    def problems(self) -> list[str]:
        """Every value out of its bounds, one line each (a type's own settings: its first problem)."""
        found: list[str] = []
        for key, email in (("notificationEmail", self.notification_email), ("alarmEmail", self.alarm_email)):
            if email is not None and not _EMAIL.match(str(email)):
                found.append(f"context {key}={email!r}: one e-mail address (ops@example.com)")
        for endpoint_type, given in self.defaults.items():
            timeout, first = (context_key(endpoint_type, s) for s in ("TimeoutSeconds", "FirstCheckSeconds"))
            if given.timeout_seconds is not None and not 60 <= given.timeout_seconds <= 86400:
                found.append(f"context {timeout}={given.timeout_seconds}: 60 to 86400 seconds")
            if given.first_check_seconds is not None and not 1 <= given.first_check_seconds <= 3600:
                found.append(f"context {first}={given.first_check_seconds}: 1 to 3600 seconds")
        if not 5 <= self.max_poll_interval_seconds <= 300:
            found.append(
                f"context maxPollIntervalSeconds={self.max_poll_interval_seconds}: 5 to 300 seconds "
                "(it bounds how late a ready endpoint is noticed)"
            )
        if not 60 <= self.event_fallback_seconds <= 86400:
            found.append(f"context eventFallbackSeconds={self.event_fallback_seconds}: 60 to 86400 seconds")
        if not 1 <= self.log_retention_days <= 365:
            found.append(f"context logRetentionDays={self.log_retention_days}: 1 to 365 days")
        if not _BUS_NAME.match(self.bus_name) or self.bus_name == "default":
            found.append(
                f"context busName={self.bus_name!r}: use 1-256 of A-Z a-z 0-9 . _ - / (not 'default')"
            )
        if not re.match(r"^[A-Za-z][A-Za-z0-9-]{0,127}$", self.stack_name):
            found.append(f"context stackName={self.stack_name!r}: start with a letter; letters, digits, -")
        for settings in self.settings.values():
            found += _problems_of(settings.check)
        for endpoint_type in self.endpoint_types:
            found += _problems_of(self.type_settings(endpoint_type).require)
        return found


def _problems_of(check: Callable[[], None]) -> list[str]:
    try:
        check()
    except ConfigError as exc:
        return exc.problems
    return []


def _settings_keys(types: Iterable[str]) -> set[str]:
    """The context keys the types' own settings read (each type's ``from_context``, given nothing)."""
    keys: set[str] = set()

    def record(key: str, default: Any = None) -> Any:
        keys.add(key)
        return default

    for name in types:
        registry.get(name).settings_type.from_context(record)
    return keys


def unknown_keys(context: dict[str, Any], known: Iterable[str]) -> list[str]:
    """A line for each key of this app's style that it does not read, with the key it resembles."""
    known = sorted(set(known))
    found = []
    for key in context:
        if _OWN_KEY.match(key) and key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else " (docs/configuration.md lists them)"
            found.append(f"context {key}: not a context key of this app{hint}")
    return found


def _endpoint_types(value: Any) -> tuple[str, ...]:
    """Context ``endpointTypes``, in catalog order; absent: every type. Types registered from code
    are added (see the module's docstring)."""
    known = registry.names()
    if value is None:
        names: list[str] = list(known)
    elif isinstance(value, str) and value.strip().startswith("["):
        try:
            names = [str(name) for name in json.loads(value)]
        except (ValueError, TypeError):
            raise ConfigError(f"context endpointTypes={value!r}: not a JSON list of type names") from None
    elif isinstance(value, str):
        names = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        names = [str(name).strip() for name in value]
    else:
        raise ConfigError(
            f"context endpointTypes={value!r}: a list or a comma-separated string of type names"
        )
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError(
            f"context endpointTypes: {', '.join(map(repr, unknown))} "
            f"{'is not an endpoint type' if len(unknown) == 1 else 'are not endpoint types'}; "
            f"the catalog has {', '.join(known)}"
        )
    if not names:
        raise ConfigError(f"context endpointTypes: list at least one of {', '.join(known)}")
    chosen = set(names) | set(registry.registered())
    return tuple(name for name in known if name in chosen)


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ConfigError(f"context {key}={value!r}: true or false")


def _int(value: Any, key: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"context {key}={value!r}: must be a whole number") from None


def _optional_int(value: Any, key: str) -> int | None:
    return None if value is None else _int(value, key)
