"""The SNS subject of a notification is always one SNS accepts.

SNS Publish: "Subjects must be UTF-8 text with no line breaks or control characters, and less than
100 characters long" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html); the SNS
receiver of Amazon Managed Service for Prometheus documents that SNS replaces a subject with control
or non-ASCII characters by an error text. An endpoint id is the requester's text, so the subject is
made valid rather than trusted.
"""

from __future__ import annotations

import pytest

from controller.outcome import Detail, ErrorDetail, publication


def _subject(endpoint_id: str | None, status: str = "READY") -> str:
    error = ErrorDetail(code="InvalidRequest", message="bad") if status == "FAILED" else None
    detail = Detail(
        requestId="r-1",
        action="create",
        endpointType="sagemaker",
        endpointId=endpoint_id,
        status=status,  # type: ignore[arg-type]
        finishedAt="2026-01-01T00:00:00Z",
        error=error,
    )
    return str(publication(detail)["subject"])


def _valid(subject: str) -> bool:
    return 0 < len(subject) < 100 and all(" " <= ch <= "~" for ch in subject) and subject == subject.strip()


def test_an_ordinary_subject_is_unchanged() -> None:
    assert _subject("churn-prod") == "Endpoint Ready: churn-prod"
    assert _subject(None, "FAILED") == "Endpoint Failed: request"


@pytest.mark.parametrize(
    "endpoint_id",
    [
        "churn\nprod",
        "churn\r\nprod\t2",
        "line\u2028separator",
        "nul\x00and\x7fdel",
        "caf\u00e9-\u6a21\u578b",
        "   ",
        "x" * 500,
        "y" * 90 + "\n" + "z" * 90,
    ],
    ids=[
        "newline",
        "crlf-tab",
        "unicode-line-separator",
        "nul-del",
        "non-ascii",
        "blank",
        "long",
        "long-newline",
    ],
)
def test_any_endpoint_id_gives_a_valid_subject(endpoint_id: str) -> None:
    subject = _subject(endpoint_id)
    assert _valid(subject), repr(subject)
    assert subject.startswith("Endpoint Ready")


def test_a_newline_becomes_a_space_and_a_long_id_is_cut_to_99() -> None:
    assert _subject("churn\nprod") == "Endpoint Ready: churn prod"
    long = _subject("x" * 500)
    assert len(long) == 99 and long == ("Endpoint Ready: " + "x" * 500)[:99]
