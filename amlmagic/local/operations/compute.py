"""`client.compute`: the built-in `local` target and local pools that bound concurrency."""

from __future__ import annotations

import os
from typing import Any

from ...errors import AlreadyExistsError, NotFoundError, ValidationError
from ...names import validate_asset_name
from ...rules import LOCAL_COMPUTE, strip_azureml_prefix
from ..pollers import CompletedPoller
from ..workspace import LocalWorkspace, current_user, now_iso

__all__ = ["ComputeOperations"]


class ComputeOperations:
    def __init__(self, workspace: LocalWorkspace):
        self._ws = workspace
        self._store = workspace.store

    # -- MLClient interface ------------------------------------------------------------------
    def begin_create_or_update(self, compute: Any, **_: Any) -> CompletedPoller:
        name = validate_asset_name(compute.name, "compute name")
        if name == LOCAL_COMPUTE:
            raise AlreadyExistsError("'local' is the built-in compute: choose another name")
        if getattr(compute, "type", "amlcompute") not in ("amlcompute", None):
            raise ValidationError(f"compute type {compute.type!r} cannot run locally: use type amlcompute")
        min_instances = int(compute.min_instances if compute.min_instances is not None else 0)
        max_instances = int(compute.max_instances if compute.max_instances is not None else 1)
        if max_instances < 1 or min_instances < 0 or min_instances > max_instances:
            raise ValidationError("need 0 <= --min-instances <= --max-instances and --max-instances >= 1")
        record = {
            "spec": {
                "name": name, "type": "amlcompute", "size": compute.size or "Standard_DS3_v2",
                "min_instances": min_instances, "max_instances": max_instances,
                "idle_time_before_scale_down": compute.idle_time_before_scale_down,
                "description": compute.description, "tags": compute.tags or {},
            },
            "meta": {"created_at": now_iso(), "created_by": current_user()},
        }
        self._store.put("computes", name, record)
        return CompletedPoller(self._entity(record))

    def get(self, name: str, **_: Any) -> Any:
        name = strip_azureml_prefix(name)
        if name == LOCAL_COMPUTE:
            return self._local()
        record = self._store.get("computes", name)
        if record is None:
            raise NotFoundError(f"compute {name!r} not found: list them with %aml compute list, or create it")
        return self._entity(record)

    def list(self, **_: Any) -> list:
        return [self._local()] + [self._entity(record) for record in self._store.records("computes").values()]

    def begin_delete(self, name: str, **_: Any) -> CompletedPoller:
        name = strip_azureml_prefix(name)
        if name == LOCAL_COMPUTE:
            raise ValidationError("the built-in 'local' compute cannot be deleted")
        if not self._store.delete("computes", name):
            raise NotFoundError(f"compute {name!r} not found: list them with %aml compute list")
        if self.get_default() == name:
            self.use(LOCAL_COMPUTE)
        return CompletedPoller()

    # -- extras: the default compute (`%aml compute use`) -------------------------------------
    def get_default(self) -> str:
        """The compute a job without `compute:` runs on: locally never None (`local` at first)."""
        return self._store.settings().get("default_compute", LOCAL_COMPUTE)

    def use(self, name: str) -> Any:
        compute = self.get(name)
        self._store.update_settings(default_compute=compute.name)
        return compute

    def max_instances(self, name: str) -> int:
        return int(self.get(name).max_instances)

    # -- entities ----------------------------------------------------------------------------
    def _local(self) -> Any:
        from azure.ai.ml.entities import AmlCompute

        cores = os.cpu_count() or 1
        return AmlCompute(
            name=LOCAL_COMPUTE, size=f"local ({cores} cores)", min_instances=0, max_instances=cores,
            description="this machine", provisioning_state="Succeeded",
        )

    def _entity(self, record: dict) -> Any:
        from azure.ai.ml.entities import AmlCompute

        spec = record["spec"]
        return AmlCompute(
            name=spec["name"], size=spec["size"], min_instances=spec["min_instances"],
            max_instances=spec["max_instances"], description=spec.get("description"), tags=spec.get("tags"),
            idle_time_before_scale_down=spec.get("idle_time_before_scale_down") or 120,
            provisioning_state="Succeeded", created_on=record["meta"]["created_at"],
        )
