"""What botocore works out again for every session and client, worked out once for a run
(``endpointctl.runner.sessions``): the answers are botocore's and moto's own."""

from __future__ import annotations

import functools
from contextlib import ExitStack
from typing import Any

from botocore import hooks
from botocore.compat import accepts_kwargs
from hypothesis import given, settings
from hypothesis import strategies as st

from endpointctl.runner import sessions


def _plain(a: Any) -> None: ...


def _with_kwargs(a: Any, **kwargs: Any) -> None: ...


class _Handler:
    def method(self, **kwargs: Any) -> None: ...

    def __call__(self, a: Any) -> None: ...


def test_each_handler_check_answers_as_botocore_does() -> None:
    candidates: list[Any] = [
        _plain,
        _with_kwargs,
        _Handler().method,
        _Handler(),
        functools.partial(_with_kwargs, 1),
        lambda **kwargs: None,
    ]
    expected = [accepts_kwargs(func) for func in candidates]
    with ExitStack() as stack:
        sessions.check_handlers_once(stack)
        assert [hooks.accepts_kwargs(func) for func in candidates] == expected
        assert [hooks.accepts_kwargs(func) for func in candidates] == expected  # from memory
        # Two bound methods of one function are one answer; an unhashable callable still gets one.
        assert hooks.accepts_kwargs(_Handler().method) == "kwargs"
    assert hooks.accepts_kwargs is accepts_kwargs  # the run's patch is gone with it


def test_event_names_are_aliased_as_botocore_aliases_them() -> None:
    names = [
        "before-call.sagemaker.CreateEndpoint",
        "before-parameter-build.autoscaling.CreateLaunchConfiguration",
        "request-created.cloudsearchdomain.Search",  # aliased: cloudsearch-domain
        "before-sign.apigateway",
        "after-call.s3.PutObject",
    ]
    plain = hooks.EventAliaser(hooks.HierarchicalEmitter())
    expected = [plain._alias_event_name(name) for name in names]
    custom = {"sagemaker": "renamed"}
    custom_expected = hooks.EventAliaser(hooks.HierarchicalEmitter(), custom)._alias_event_name(names[0])
    with ExitStack() as stack:
        sessions.alias_event_names_once(stack)
        for _ in range(2):  # worked out, then remembered, and shared by every emitter
            aliaser = hooks.EventAliaser(hooks.HierarchicalEmitter())
            assert [aliaser._alias_event_name(name) for name in names] == expected
        import copy

        assert copy.copy(aliaser)._alias_event_name(names[2]) == expected[2]  # a client's copy
        # An emitter with its own table is not served the default table's answers.
        mine = hooks.EventAliaser(hooks.HierarchicalEmitter(), custom)
        assert mine._alias_event_name(names[0]) == custom_expected == "before-call.renamed.CreateEndpoint"


def test_moto_maps_its_package_names_to_the_same_services() -> None:
    from moto.core import utils

    packages = [
        "sagemaker",
        "servicequotas",
        "applicationautoscaling",
        "stepfunctions",
        "neptunedata",
        "nothing",
    ]
    expected = [utils.service_name_from_moto_package_name(name) for name in packages]
    with ExitStack() as stack:
        sessions.service_names_from_shared_loader(stack)
        assert [utils.service_name_from_moto_package_name(name) for name in packages] == expected
    assert expected[1] == "service-quotas" and expected[2] == "application-autoscaling"


_PARTS = sorted({part for old in hooks.EVENT_ALIASES for part in old.split(".")} | set(hooks.EVENT_ALIASES))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(_PARTS), st.sampled_from(["before-call", "after-call", "CreateEndpoint"])),
        min_size=1,
        max_size=5,
    )
)
def test_any_name_is_aliased_as_botocore_aliases_it(parts: list[str]) -> None:
    """Names made of the table's own parts and aliases (where botocore rewrites), and others."""
    name = ".".join(parts)
    expected = hooks.EventAliaser(hooks.HierarchicalEmitter())._alias_event_name(name)
    with ExitStack() as stack:
        sessions.alias_event_names_once(stack)
        assert hooks.EventAliaser(hooks.HierarchicalEmitter())._alias_event_name(name) == expected
