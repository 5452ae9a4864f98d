"""The SageMaker scenes of ``endpointctl local demo``: ready, failed with rollback, refused."""

from __future__ import annotations

from endpointctl.sim.base import DemoScene

_INLINE_CONFIG = {
    "EndpointConfigName": "fraud-config-v1",
    "ProductionVariants": [
        {
            "VariantName": "AllTraffic",
            "ModelName": "fraud-model",
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1,
        }
    ],
}

DEMO = (
    DemoScene(
        "A SageMaker endpoint becomes ready (5 simulated minutes)",
        {
            "endpointType": "sagemaker",
            "params": {
                "EndpointName": "churn-prod",
                "EndpointConfigName": "churn-config-v3",
                "Tags": [{"Key": "team", "Value": "ml"}],
            },
            "requestId": "demo-ready",
        },
        {"sagemaker": {"createSeconds": 300}},
    ),
    DemoScene(
        "A SageMaker endpoint fails; the controller deletes the endpoint and the config it created",
        {
            "endpointType": "sagemaker",
            "params": {
                "EndpointName": "fraud-canary",
                "EndpointConfigName": "fraud-config-v1",
                "EndpointConfig": _INLINE_CONFIG,
            },
            "requestId": "demo-failed",
        },
        {
            "sagemaker": {
                "createSeconds": 420,
                "outcome": "Failed",
                "failureReason": "The primary container did not pass the ping health check.",
            }
        },
    ),
    DemoScene(
        "A request that breaks the API's rules is refused before any call",
        {
            "endpointType": "sagemaker",
            "params": {"EndpointName": "-bad name-", "Tags": [{"Key": "aws:owner", "Value": "x"}]},
        },
        refused=True,
    ),
)
