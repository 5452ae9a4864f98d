"""SageMaker's rules for inference components beyond botocore's model, each from its document.
The model's own checks (required members, ranges such as ``RollingUpdatePolicy.WaitIntervalInSeconds``
0-3600 and ``MaximumExecutionTimeoutInSeconds`` 600-28800, ``CopyCount`` >= 0, patterns, enums)
run first, in the simulated SageMaker's front end (``endpointctl.sim.sagemaker.validation.checked``),
so a request reaching these rules is well-formed. ``DeploymentConfig`` is accepted only by
``UpdateInferenceComponent``: ``CreateInferenceComponentInput`` has no such member (API_CreateInferenceComponent),
so the SDK refuses it before sending, and the service reads nothing of it on a create."""

from __future__ import annotations

from typing import Any

from moto.sagemaker.exceptions import ValidationError

from endpointctl.sim.iam import arn

#: Where SageMaker's not-found answers come from (``ValidationException``, HTTP 400), as for its
#: endpoints ("Could not find endpoint ..."): its API reference lists no ResourceNotFound for
#: Describe/Update/DeleteInferenceComponent (API_DescribeInferenceComponent, "Errors": none but
#: the common ones).
NOT_FOUND = "Could not find inference component"


def component_arn(name: str) -> str:
    """``arn:aws:sagemaker:<region>:<account>:inference-component/<name>`` (lower-cased, as
    SageMaker spells the names in its ARNs)."""
    return arn("sagemaker", f"inference-component/{name.lower()}")


def endpoint_arn(name: str) -> str:
    return arn("sagemaker", f"endpoint/{name.lower()}")


def not_found(name: str) -> ValidationError:
    return ValidationError(message=f'{NOT_FOUND} "{component_arn(name)}".')


def one_specification(params: dict[str, Any], *, create: bool) -> None:
    """``Specification`` or ``Specifications``, never both: "You can use either this parameter or
    the singular Specification parameter, but not both" (API_CreateInferenceComponent and
    API_UpdateInferenceComponent, ``Specifications``). A create needs one of them: the component's
    model, container and compute resources are what it deploys ("Details about the resources to
    deploy with this inference component", ``Specification``)."""
    given = [key for key in ("Specification", "Specifications") if params.get(key) is not None]
    if len(given) > 1:
        raise ValidationError(
            message="Specification and Specifications cannot both be specified: use one of them"
        )
    if create and not given:
        raise ValidationError(message="Either Specification or Specifications must be specified")


def something_to_update(params: dict[str, Any]) -> None:
    """An update changes the specification, the runtime config or both (API_UpdateInferenceComponent:
    ``Specification`` "Details about the resources to deploy", ``RuntimeConfig`` "Runtime settings";
    an update naming neither asks for nothing: the wording of SageMaker's refusal is not
    documented, the code is its ``ValidationException``)."""
    if all(params.get(key) is None for key in ("Specification", "Specifications", "RuntimeConfig")):
        raise ValidationError(
            message="An update of an inference component needs a Specification, Specifications or RuntimeConfig"
        )


def endpoint_ready(name: str, status: str | None) -> None:
    """The endpoint must exist ("The name of an existing endpoint where you host the inference
    component", API_CreateInferenceComponent ``EndpointName``) and be in service: a component is
    placed on the endpoint's instances, which exist only once it is ``InService`` (the endpoint's
    own statuses, API_DescribeEndpoint). SageMaker answers both with ``ValidationException``, as
    for any missing SageMaker resource; the wording of the second is not documented."""
    if status is None:
        raise ValidationError(message=f'Could not find endpoint "{endpoint_arn(name)}".')
    if status != "InService":
        raise ValidationError(
            message=f'Endpoint "{endpoint_arn(name)}" is not in service (status {status}): '
            "an inference component can be created only on an endpoint that is InService"
        )


def variant_on(endpoint: str, variant: str | None, variants: list[str]) -> str:
    """``VariantName``: "The name of an existing production variant where you host the inference
    component" (API_CreateInferenceComponent); left out, the endpoint's (first) variant."""
    if variant is None:
        return variants[0] if variants else "AllTraffic"
    if variant not in variants:
        raise ValidationError(
            message=f'Could not find production variant "{variant}" on endpoint "{endpoint_arn(endpoint)}".'
        )
    return variant


def updatable(name: str, status: str) -> None:
    """Only an ``InService`` component is updated: while it is ``Creating``, ``Updating`` or
    ``Deleting`` another change is under way, and a ``Failed`` one has nothing live to update from.
    As SageMaker refuses an endpoint in progress ("Cannot update in-progress endpoint",
    ``ValidationException``), it refuses the component; the exact wording is not documented."""
    if status != "InService":
        raise ValidationError(
            message=f'Cannot update in-progress inference component "{component_arn(name)}" (status {status}).'
        )
