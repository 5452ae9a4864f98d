"""The account's SageMaker endpoint instance quotas (``sagemaker.quotas``), and the simulated
Service Quotas that serves them.

SageMaker has one quota per endpoint instance type, "<instance type> for endpoint usage"
(``ml.g5.xlarge for endpoint usage``): how many instances of that type the account's endpoints may
run at once. The types are those of botocore's ``ProductionVariantInstanceType`` enum, the model the
SDK serializes with, so a type works here the day botocore knows it. A type the scenario names has
the scenario's value; every other has :data:`DEFAULT_QUOTA`, so a scenario that names none never
runs into a quota. What counts against them, and how SageMaker refuses what would not fit, is
``usage.py``.

Service Quotas (service code ``sagemaker``) answers what a caller in the world asks with the real
API (``service-quotas`` in botocore):

- ``ListServiceQuotas`` lists *applied* values: "Lists the applied quota values for the specified
  AWS service ... If the applied quota value is not available for a quota, the quota is not
  retrieved" (https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_ListServiceQuotas.html).
  Here the applied values are the scenario's: only the types it names are listed (its ``QuotaCode``
  filter and ``QuotaAppliedAtLevel`` honoured; there are no resource-level values);
- ``ListAWSDefaultServiceQuotas`` lists every type with :data:`DEFAULT_QUOTA`;
- ``GetServiceQuota`` answers any type's quota by its code (the scenario's value, else the default),
  and ``GetAWSDefaultServiceQuota`` its default; an unknown code is ``NoSuchResourceException``.

Both lists page as the API does (``MaxResults`` 1-100, the botocore model's range, checked with
every other member by the model before anything is answered; 100 when not given; ``NextToken`` an
opaque token, refused with ``InvalidPaginationTokenException`` when it is not one this service
gave). Each quota has a stable code, ``L-`` and 8 upper-case hex digits of the SHA-256 of its name
(AWS's codes have that form; their values are AWS's own, so these are this simulation's), ``Unit``
"None", ``Adjustable`` true, ``GlobalQuota`` false, and its ARN
``arn:aws:servicequotas:<region>:<account>:sagemaker/<code>``.

moto 5.2.5's Service Quotas backend knows only ``vpc``'s defaults (``ListAWSDefaultServiceQuotas``
and ``GetServiceQuota`` without pagination, no ``ListServiceQuotas``): the calls for ``sagemaker``
are answered here, at moto's response class (as ``updates.py`` answers ``UpdateEndpoint``), and any
other service code is left to moto. Every call is in the world's call log as
``service-quotas:<Operation>`` (failed ones with their error code); IAM authorizes it as every
other call (``endpointctl.runner.iam.calls``: ``servicequotas:ListServiceQuotas`` and
``ListAWSDefaultServiceQuotas`` on ``*``, ``GetServiceQuota`` on the quota's ARN).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from functools import cache
from typing import Any
from unittest import mock

from endpointctl.sim.calls import CallLog
from endpointctl.sim.faults import Fault, error_code, json_error
from endpointctl.sim.validation import refuse_moto_request, service_model
from endpointctl.template import ACCOUNT, REGION

#: The quota of every endpoint instance type the scenario does not name: generous, so that only a
#: scenario's own quotas ever refuse a create or an update (AWS's own defaults vary by type and
#: account, and are often 0 for accelerated types).
DEFAULT_QUOTA = 1000
SERVICE_CODE = "sagemaker"
SERVICE_NAME = "Amazon SageMaker"
#: botocore's name of the Service Quotas API, which names its calls in the call log.
SERVICE = "service-quotas"
#: The page size of a list that names no ``MaxResults`` (the most the model allows).
PAGE = 100


@cache
def instance_types() -> tuple[str, ...]:
    """SageMaker's endpoint instance types, as botocore's model lists them."""
    return tuple(service_model("sagemaker").shape_for("ProductionVariantInstanceType").enum)


def quota_name(instance_type: str) -> str:
    return f"{instance_type} for endpoint usage"


def quota_code(name: str) -> str:
    """A stable code for the quota named ``name``: ``L-`` and 8 upper-case hex digits."""
    return "L-" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()


@cache
def _types_by_code() -> dict[str, str]:
    return {quota_code(quota_name(t)): t for t in instance_types()}


class Quotas:
    """The scenario's quotas: each type's value, the default for the others."""

    def __init__(self, applied: Mapping[str, int]) -> None:
        self.applied = dict(applied)

    def value(self, instance_type: str) -> int:
        return self.applied.get(instance_type, DEFAULT_QUOTA)

    def quota(self, instance_type: str, *, default: bool = False) -> dict[str, Any]:
        """One ``ServiceQuota`` as the API answers it (``default``: the AWS default value)."""
        name = quota_name(instance_type)
        code = quota_code(name)
        return {
            "ServiceCode": SERVICE_CODE,
            "ServiceName": SERVICE_NAME,
            "QuotaArn": f"arn:aws:servicequotas:{REGION}:{ACCOUNT}:{SERVICE_CODE}/{code}",
            "QuotaCode": code,
            "QuotaName": name,
            "Value": float(DEFAULT_QUOTA if default else self.value(instance_type)),
            "Unit": "None",
            "Adjustable": True,
            "GlobalQuota": False,
            "QuotaAppliedAtLevel": "ACCOUNT",
        }


#: The operations answered here, and those of them moto's own backend answers (for ``vpc``).
_SIMULATED = (
    "ListServiceQuotas",
    "ListAWSDefaultServiceQuotas",
    "GetServiceQuota",
    "GetAWSDefaultServiceQuota",
)
_MOTOS = ("ListAWSDefaultServiceQuotas", "GetServiceQuota")
_NO_SUCH_SERVICE = (
    "This service is not available in the current Region. Choose a different Region or a different service."
)


class QuotaError(Exception):
    """A Service Quotas error answer (its code and message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def answer(quotas: Quotas, operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """Service Quotas' answer to ``operation`` for the ``sagemaker`` service code (``None``: moto's
    to answer: another service code, or an operation not simulated here)."""
    if params.get("ServiceCode") != SERVICE_CODE:
        if operation in _SIMULATED and operation not in _MOTOS:
            # moto has no such operation: the answer moto gives of every service it does not know
            raise QuotaError("NoSuchResourceException", _NO_SUCH_SERVICE)
        return None
    if operation == "ListServiceQuotas":
        wanted = params.get("QuotaCode")
        applied = [t for t in instance_types() if t in quotas.applied]
        if params.get("QuotaAppliedAtLevel") == "RESOURCE":
            applied = []  # no resource-level values in this account
        found = [quotas.quota(t) for t in applied if wanted is None or quota_code(quota_name(t)) == wanted]
        return _page(found, params, operation)
    if operation == "ListAWSDefaultServiceQuotas":
        return _page([quotas.quota(t, default=True) for t in instance_types()], params, operation)
    if operation in ("GetServiceQuota", "GetAWSDefaultServiceQuota"):
        code = str(params.get("QuotaCode"))
        instance_type = _types_by_code().get(code)
        if instance_type is None:
            raise QuotaError(
                "NoSuchResourceException",
                f"The request failed because the specified quota {code} does not exist for {SERVICE_CODE}.",
            )
        return {"Quota": quotas.quota(instance_type, default=operation == "GetAWSDefaultServiceQuota")}
    return None


def _page(items: list[dict[str, Any]], params: dict[str, Any], operation: str) -> dict[str, Any]:
    size = int(params.get("MaxResults") or PAGE)
    start = _offset(params.get("NextToken"), operation, len(items))
    page: dict[str, Any] = {"Quotas": items[start : start + size]}
    if start + size < len(items):
        page["NextToken"] = _token(operation, start + size)
    return page


def _token(operation: str, offset: int) -> str:
    """An opaque token (base64, as the model's pattern for ``NextToken`` wants it)."""
    return base64.b64encode(f"{SERVICE_CODE}:{operation}:{offset}".encode()).decode()


def _offset(token: Any, operation: str, size: int) -> int:
    if token is None:
        return 0
    try:
        service, named, offset = base64.b64decode(str(token), validate=True).decode().split(":")
        if (service, named) == (SERVICE_CODE, operation) and 0 < int(offset) <= size:
            return int(offset)
    except ValueError:
        pass
    raise QuotaError("InvalidPaginationTokenException", "Invalid input: the pagination token is not valid.")


def install(stack: ExitStack, quotas: Callable[[], Quotas], log: CallLog) -> None:
    """Answer Service Quotas' ``sagemaker`` calls (moto's response class, ahead of its backend);
    every call is logged, and checked against the model first."""
    from moto.servicequotas.responses import ServiceQuotasResponse

    original = ServiceQuotasResponse.call_action

    def call_action(response: Any) -> Any:
        operation = response._get_action()
        logged = log.record(f"{SERVICE}:{operation}")
        refused = refuse_moto_request(response, SERVICE)
        if refused is not None:
            log.failed(logged, refused.code)
            return json_error(refused.fault(operation))
        try:
            params = json.loads(response.body or "{}")
            found = answer(quotas(), operation, params if isinstance(params, dict) else {})
        except QuotaError as error:
            log.failed(logged, error.code)
            return json_error(Fault(operation, error.code, message=error.message))
        if found is None:
            status, headers, body = original(response)
            if int(status) >= 400:
                log.failed(logged, error_code(headers) or str(status))
            return status, headers, body
        return 200, {"status": "200", "content-type": "application/x-amz-json-1.1"}, json.dumps(found)

    stack.enter_context(mock.patch.object(ServiceQuotasResponse, "call_action", call_action))
