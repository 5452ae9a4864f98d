"""What exists in the simulated SageMaker before a request: someone else's endpoint configs and
endpoints (the scenario's ``sagemaker.existingConfigs`` and ``sagemaker.existing``), and the
endpoint config a request names as its prerequisite. Made directly in moto's backend: they are
not calls of the run, and nobody is authorized for them."""

from __future__ import annotations

from typing import Any

from moto.sagemaker import models as sm_models

from endpointctl.template import ACCOUNT, REGION

#: A prerequisite config's one variant: the request names the config, nothing describes it.
PREREQUISITE_VARIANT = {
    "VariantName": "AllTraffic",
    "ModelName": "model",
    "InitialInstanceCount": 1,
    "InstanceType": "ml.m5.large",
}


def ensure_config(backend: Any, name: str) -> None:
    """Endpoint config ``name`` exists (someone else's: tagged ``team=other``)."""
    if name not in backend.endpoint_configs:
        backend.endpoint_configs[name] = sm_models.FakeEndpointConfig(
            account_id=ACCOUNT,
            region_name=REGION,
            endpoint_config_name=name,
            production_variants=[dict(PREREQUISITE_VARIANT)],
            data_capture_config={},
            async_inference_config={},
            tags=[{"Key": "team", "Value": "other"}],
            kms_key_id="",
        )


def add_endpoint(backend: Any, name: str, config: str, tags: list[dict[str, Any]]) -> list[Any]:
    """Endpoint ``name`` in service on ``config`` (its variants, if the config exists): the
    variants it serves."""
    found = backend.endpoint_configs.get(config)
    variants = list(found.production_variants) if found is not None else []
    backend.endpoints[name] = sm_models.FakeEndpoint(ACCOUNT, REGION, name, config, variants, {}, tags)
    return variants
