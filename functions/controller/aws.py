"""boto3 clients, created lazily (so moto can start first) and shared within a process.

botocore's own retries are off: the state machine retries throttling and 5xx with backoff and
jitter where it can be seen, counted and bounded (and simulated on the local runner's clock).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from controller.errors import ControllerError, ProviderError, ServiceThrottled, TransientServiceError

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.model import ServiceModel

#: How long a client waits for an answer before it gives up (a read timeout says nothing of
#: whether the call took effect: a retry must be safe).
READ_TIMEOUT_SECONDS = 20

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
    }
)
SERVER_CODES = frozenset(
    {
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


@cache
def _config() -> Config:
    """The clients' configuration, shared by all of them.

    Built on first use: ``botocore.config`` pulls in most of botocore's HTTP stack, which the
    handler's import (the cold start) need not pay for before a step calls a service.
    """
    from aws_lambda_powertools import Tracer
    from botocore.config import Config

    # X-Ray subsegments for every AWS call, patched in with the first client rather than at import
    # (the handler's Tracer does not auto-patch; this is a no-op while tracing is disabled).
    Tracer().patch(["botocore"])
    return Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=READ_TIMEOUT_SECONDS,
        user_agent_extra="ml-endpoint-controller",
    )


@cache
def client(service: str, *, region: str | None = None, endpoint_url: str | None = None) -> Any:
    """A client for ``service`` (in the function's region unless ``region`` is given)."""
    import boto3

    return boto3.client(  # type: ignore[call-overload]
        service, region_name=region, endpoint_url=endpoint_url, config=_config()
    )


def service_model(service: str) -> ServiceModel:
    """``service``'s botocore model, from the session ``boto3.client`` uses (boto3's default): its
    loader keeps what it decoded, so the model the validation reads and the one the step's client
    is built on are decoded once between them (SageMaker's is megabytes of JSON), and no second
    session is made (registering botocore's handlers on one costs ~7 ms)."""
    import boto3

    default = getattr(boto3, "_get_default_session", None)  # what boto3.client() calls
    session = getattr(default() if default else None, "_session", None)
    if session is None:  # a boto3 without them: a session of its own, as before
        import botocore.session

        session = botocore.session.get_session()
    return session.get_service_model(service)


def client_as(service: str, role_arn: str) -> Any:
    """A client for ``service`` with ``role_arn``'s credentials (``sts:AssumeRole``; not cached:
    the credentials last an hour, a warm function may live longer)."""
    import boto3

    credentials = client("sts").assume_role(RoleArn=role_arn, RoleSessionName="ml-endpoint-controller")[
        "Credentials"
    ]
    return boto3.client(  # type: ignore[call-overload]
        service,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=_config(),
    )


def reset() -> None:
    """Forget the clients (the local runner starts a new simulated world)."""
    client.cache_clear()


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_throttled(exc: ClientError) -> bool:
    """The service asked the caller to slow down."""
    return error_code(exc) in THROTTLING_CODES or http_status(exc) == 429


def transient(
    exc: ClientError, text: str, created: list[dict[str, Any]] | None = None
) -> TransientServiceError:
    """The retried error for a transient ``exc``: :class:`ServiceThrottled` for throttling."""
    kind = ServiceThrottled if is_throttled(exc) else TransientServiceError
    return kind(text, created=created or [])


def is_transient(exc: ClientError) -> bool:
    """Throttling and server-side errors: worth another attempt after a pause."""
    status = http_status(exc)
    return error_code(exc) in THROTTLING_CODES | SERVER_CODES or status == 429 or status >= 500


def translate(exc: Exception, operation: str, created: list[dict[str, Any]]) -> ControllerError:
    """The controller error for a failed service call: transient (retried) or a provider error."""
    if isinstance(exc, ControllerError):
        exc.created = created
        return exc
    if isinstance(exc, ClientError):
        code, message = error_code(exc), error_message(exc)
        text = f"{operation} failed: {code}: {message}"
        if is_transient(exc):
            return transient(exc, text, created)
        return ProviderError(text, created=created)
    if isinstance(exc, BotoCoreError):
        # Connection errors and timeouts: the service may be briefly unreachable.
        return TransientServiceError(f"{operation} failed: {exc}", created=created)
    return ProviderError(f"{operation} failed: {type(exc).__name__}: {exc}", created=created)
