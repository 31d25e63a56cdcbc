"""Azure ML's rules, one module each, shared by every backend, the widgets and export.

    statuses     job statuses and the terminal set
    references   `azureml:name:version`, `name@latest`, registry and ARM forms
    assets       data, model and output types, the default base image, version order
    trials       the best trial of a sweep
    pipelines    bindings between steps, the properties of a reused step
    components   checks azure-ai-ml leaves to the service
    compute      which compute a job without `compute:` runs on
    logs         which per-process log `az ml job stream` follows
    batch        batch deployment settings, the names an invocation creates, its progress overview
    data_collection  an online deployment's data_collector: collections, sampling, the blob layout

Pure functions and constants: nothing here imports azure-ai-ml or touches the disk.
"""

from __future__ import annotations

from .assets import DATA_TYPES, DEFAULT_IMAGE, MODEL_TYPES, OUTPUT_TYPES, version_key
from .compute import LOCAL_COMPUTE, compute_for
from .logs import SINGLE_PROCESS_LOG, STREAM_LOG_PATTERN, stream_log
from .pipelines import REUSE_REASON, REUSED, REUSED_RUN, reuse_note
from .references import AssetRef, parse_asset_ref, strip_azureml_prefix
from .statuses import STATUSES, TERMINAL_STATUSES, is_terminal, status_text
from .trials import best_trial

__all__ = [
    "STATUSES", "TERMINAL_STATUSES", "is_terminal", "status_text",
    "AssetRef", "parse_asset_ref", "strip_azureml_prefix",
    "DATA_TYPES", "DEFAULT_IMAGE", "MODEL_TYPES", "OUTPUT_TYPES", "version_key",
    "best_trial", "LOCAL_COMPUTE", "compute_for",
    "STREAM_LOG_PATTERN", "SINGLE_PROCESS_LOG", "stream_log",
    "REUSED", "REUSED_RUN", "REUSE_REASON", "reuse_note",
]
