"""A model's ``pattern`` is read as the service reads it (Java's ``java.util.regex``, whole value):
what Java and Python's ``re`` read differently is translated, neither kinder nor stricter."""

from __future__ import annotations

import pytest

from controller.patterns import matches

#: Application Auto Scaling's ``ResourceId`` (and many more): any XML character, written with a
#: surrogate pair for the supplementary planes.
XML_STRING = "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*"
#: SageMaker's ``CustomerMetadataKey``: a quantified ``$``, which Java accepts.
METADATA_KEY = "([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)${1,128}"
#: SageMaker's ``TrainingRepositoryCredentialsProviderArn``: a POSIX class and ``.``.
LAMBDA_ARN = "arn:[\\p{Alnum}\\-]+:lambda:[\\p{Alnum}\\-]+:[0-9]{12}:function:.*"


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        pytest.param(XML_STRING, "endpoint/churn/variant/AllTraffic", True, id="xml-ascii"),
        pytest.param(XML_STRING, "inference-component/llm-\U0001f680", True, id="xml-supplementary"),
        pytest.param(XML_STRING, "bell\x07", False, id="xml-control"),
        pytest.param("\\p{Print}+", "scale on invocations", True, id="print"),
        pytest.param("\\p{Print}+", "tab\there", False, id="print-no-tab"),
        pytest.param("\\p{Print}+", "café", False, id="print-is-ascii"),
        pytest.param(METADATA_KEY, "équipe 7", True, id="anchor-repeated"),
        pytest.param(METADATA_KEY, "team#7", False, id="anchor-repeated-refuses"),
        pytest.param(LAMBDA_ARN, "arn:aws:lambda:us-east-1:123456789012:function:creds", True, id="alnum"),
        pytest.param(
            LAMBDA_ARN, "arn:aws:lambda:us-east-1:123456789012:function:a\nb", False, id="dot-no-newline"
        ),
        pytest.param(
            "arn:aws:iam::\\d{12}:role/.+", "arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/x", False, id="digits-ascii"
        ),
        pytest.param("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "churn-prod", True, id="name"),
        pytest.param("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "churn-prod-", False, id="name-whole-value"),
    ],
)
def test_a_pattern_matches_as_java_matches_it(pattern: str, value: str, expected: bool) -> None:
    assert matches(pattern, value) is expected


def test_every_pattern_of_the_simulated_services_models_compiles() -> None:
    import botocore.session

    from controller.patterns import compile_pattern

    session = botocore.session.get_session()
    for service in (
        "sagemaker",
        "application-autoscaling",
        "machinelearning",
        "neptunedata",
        "service-quotas",
    ):
        model = session.get_service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern:
                compile_pattern(pattern)  # raises re.error if Python cannot read it
