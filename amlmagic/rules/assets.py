"""Asset rules: data, model and output types, the default base image, version order."""

from __future__ import annotations

__all__ = ["DATA_TYPES", "MODEL_TYPES", "OUTPUT_TYPES", "DEFAULT_IMAGE", "version_key"]

DATA_TYPES = ("uri_file", "uri_folder", "mltable")
MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")
OUTPUT_TYPES = ("uri_folder", "uri_file", "custom_model", "mlflow_model", "mltable")

# The CPU base image Azure ML's curated environments and docs use for a conda-file environment.
DEFAULT_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"


def version_key(version: str) -> tuple:
    """Sort key of asset versions: numeric versions as numbers, the others after them by text."""
    version = str(version)
    return (0, int(version), "") if version.isdigit() else (1, 0, version)
