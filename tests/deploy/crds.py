"""Objects of custom resource kinds, checked against their CRDs' schemas.

kubernetes-validate knows Kubernetes' own kinds only: for any other it prints a
warning and passes. The KEDA and Prometheus Operator kinds the chart renders are
checked here instead, with models generated from those projects' CRDs
(cloudcoil-models-keda from KEDA 2.16, cloudcoil-models-prometheus-operator from
0.80): strict types (no string where the CRD says integer), required fields, and
no field the CRD does not define.
"""

from __future__ import annotations

from typing import Any

from cloudcoil.models.keda.v1alpha1 import ScaledObject, TriggerAuthentication
from cloudcoil.models.prometheus_operator.v1 import ServiceMonitor
from pydantic import BaseModel

#: (apiVersion, kind) -> the model of its CRD.
CRD_MODELS: dict[tuple[str, str], type[BaseModel]] = {
    ("keda.sh/v1alpha1", "ScaledObject"): ScaledObject,
    ("keda.sh/v1alpha1", "TriggerAuthentication"): TriggerAuthentication,
    ("monitoring.coreos.com/v1", "ServiceMonitor"): ServiceMonitor,
}


def _unknown(given: Any, kept: Any, path: str) -> list[str]:
    """Paths in ``given`` that the model dropped: fields its CRD does not define."""
    if isinstance(given, dict):
        found = []
        for key, value in given.items():
            if not isinstance(kept, dict) or key not in kept:
                found.append(f"{path}.{key}")
            else:
                found.extend(_unknown(value, kept[key], f"{path}.{key}"))
        return found
    if isinstance(given, list) and isinstance(kept, list):
        return [
            where
            for index, (item, kept_item) in enumerate(zip(given, kept, strict=False))
            for where in _unknown(item, kept_item, f"{path}[{index}]")
        ]
    return []


def crd_errors(obj: dict[str, Any]) -> list[str]:
    """What is wrong with ``obj`` by its CRD's schema; raises KeyError for an unknown kind."""
    model = CRD_MODELS[(obj["apiVersion"], obj["kind"])]
    try:
        parsed = model.model_validate(obj, strict=True)
    except ValueError as exc:
        return [str(exc)]
    kept = parsed.model_dump(by_alias=True, exclude_unset=True, mode="json")
    return [f"unknown field {where}" for where in _unknown(obj, kept, "")]
