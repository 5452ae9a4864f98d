"""An endpoint that hosts inference components the controller created is not deleted under them.

``action: delete`` (and expiry) of a SageMaker endpoint asks first which inference components it
hosts (``ListInferenceComponents(EndpointNameEquals=...)``, one page per 100) and whose they are
(``ListTags``: the controller's ownership tag). Any of the controller's makes the delete
``EndpointBusy``, naming them, before anything is touched: they are deleted first, as
``endpointType: inference-component`` requests. Someone else's components are SageMaker's to
judge (the console deletes them with the endpoint; the API's behaviour is not documented,
https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-delete-resources.html).
"""

from __future__ import annotations

from controller import aws, catalog


def owned_on(endpoint: str) -> list[str]:
    """The inference components on ``endpoint`` that carry the controller's ownership tag."""
    sagemaker = aws.client("sagemaker")
    owned, token = [], None
    while True:
        page = sagemaker.list_inference_components(
            EndpointNameEquals=endpoint, MaxResults=100, **({"NextToken": token} if token else {})
        )
        for summary in page.get("InferenceComponents", []):
            tags = sagemaker.list_tags(ResourceArn=summary["InferenceComponentArn"], MaxResults=100).get(
                "Tags", []
            )
            if any(t.get("Key") == catalog.CONTROLLER.owner_tag for t in tags):
                owned.append(str(summary["InferenceComponentName"]))
        token = page.get("NextToken")
        if not token:
            return owned
