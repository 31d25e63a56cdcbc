"""`client.environments`: environment versions (image, conda file, build context)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from ...errors import NotFoundError, ValidationError
from ..jobs.environments import read_conda_file, realize_environment
from ..uploads import upload_local_path
from .versioned import VersionedOperations

__all__ = ["EnvironmentOperations"]


class EnvironmentOperations(VersionedOperations):
    kind = "environments"
    noun = "environment"

    def _prepare(self, env: Any) -> tuple[dict, dict]:
        base = Path(getattr(env, "_base_path", None) or os.getcwd())
        if not (env.image or env.build):
            raise ValidationError("an environment needs an image or a build context: give --image or build.path")
        if env.image and env.build:
            raise ValidationError("give either image (with an optional conda_file) or build, not both")
        spec: dict[str, Any] = {}
        if env.image:
            spec["image"] = env.image
        if env.conda_file:
            spec["conda_file"] = read_conda_file(env.conda_file, base)
        if env.build:
            context = Path(env.build.path)
            context = context if context.is_absolute() else (base / context).resolve()
            if not context.is_dir():
                raise NotFoundError(f"build context {context} does not exist: check build.path")
            spec["build"] = {"path": upload_local_path(self._store, context)}
            if env.build.dockerfile_path:
                spec["build"]["dockerfile_path"] = env.build.dockerfile_path
        for field in ("description", "tags", "properties"):
            if getattr(env, field, None):
                spec[field] = getattr(env, field)
        return spec, {}

    # -- extras --------------------------------------------------------------------------------
    def build(self, name: str, version: str, log: Callable[[str], None] | None = None) -> str:
        """The python executable that runs the environment here: the current one when it has
        every requirement, else its virtual environment, built on the first call and reused.
        `log` gets the build's lines. NotFoundError for an unknown version."""
        self._record(name, str(version), None)
        return str(realize_environment(self._ws, f"azureml:{name}:{version}", log))

    def _entity(self, spec: dict, meta: dict) -> Any:
        from azure.ai.ml.entities import BuildContext, Environment

        build = spec.get("build")
        return Environment(
            image=spec.get("image"),
            conda_file=spec.get("conda_file"),
            build=BuildContext(path=build["path"], dockerfile_path=build.get("dockerfile_path")) if build else None,
            **self._common(spec, meta),
        )
