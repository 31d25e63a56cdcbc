"""Batch deployments (../shared/azureml-semantics-2.md section 2): the settings' defaults, the
names an invocation creates, and the progress overview a batch scoring job keeps.

The progress overview is `logs/job_progress_overview.txt`, the file Azure's troubleshooting page
points at. Its exact text on Azure is not published; ours is one `key: value` line per counter
(our rule, docs/batch.md), written by the local engine and read by the job monitor through
`jobs.read_log(name, log=PROGRESS_LOG)` on every backend.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

__all__ = [
    "SETTINGS_DEFAULTS", "SCORE_OUTPUT", "SCORING_STEP", "PROGRESS_LOG", "MLFLOW_FILE_TYPES",
    "Progress", "format_progress", "parse_progress", "batch_settings",
    "settings_problems", "default_output_path", "AZURE_RUNTIME_PACKAGES", "LOGGING_LEVELS", "OUTPUT_ACTIONS",
]

# What the YAML reference documents as defaults; the SDK sends None for unset ones, the service
# applies these (section 2.2).
SETTINGS_DEFAULTS = {
    "max_concurrency_per_instance": 1,
    "mini_batch_size": 10,
    "output_action": "append_row",
    "output_file_name": "predictions.csv",
    "max_retries": 3,
    "timeout": 30,
    "error_threshold": -1,
    "logging_level": "info",
    "instance_count": 1,
}
SCORE_OUTPUT = "score"  # the named output holding predictions.csv (section 2.4)
SCORING_STEP = "batchscoring"  # the one step of a batch job's graph (section 2.4)
PROGRESS_LOG = "logs/job_progress_overview.txt"
OUTPUT_ACTIONS = ("append_row", "summary_only")
LOGGING_LEVELS = ("warning", "info", "debug")
# What Azure's own batch runtime needs in a custom environment (section 2.2, "No module named
# azureml" without them). Our rule: the local driver needs neither, so a local run skips them
# with a notice instead of installing them (docs/batch.md).
AZURE_RUNTIME_PACKAGES = ("azureml-core", "azureml-dataset-runtime")
# Files an MLflow no-code deployment accepts (section 2.5); any other file fails the job.
MLFLOW_FILE_TYPES = {
    ".csv": "table", ".parquet": "table", ".pqt": "table",
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".tiff": "image", ".bmp": "image", ".gif": "image",
}


@dataclass
class Progress:
    """Counters of one batch scoring job; mini-batches pending = total - done - failed."""

    mini_batches_total: int = 0
    mini_batches_done: int = 0
    mini_batches_failed: int = 0
    items_scored: int = 0
    items_failed: int = 0
    retries: int = 0
    elapsed_seconds: float = 0.0

    @property
    def mini_batches_pending(self) -> int:
        return max(0, self.mini_batches_total - self.mini_batches_done - self.mini_batches_failed)

    @property
    def items_per_second(self) -> float:
        return self.items_scored / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0


_LABELS = {f.name: f.name.replace("_", " ") for f in fields(Progress)}


def format_progress(progress: Progress) -> str:
    """The overview file's text: one `label: value` line per counter, then the derived ones."""
    lines = [f"{_LABELS[k]}: {v:.3f}" if isinstance(v, float) else f"{_LABELS[k]}: {v}"
             for k, v in asdict(progress).items()]
    lines.append(f"mini batches pending: {progress.mini_batches_pending}")
    lines.append(f"items per second: {progress.items_per_second:.1f}")
    return "\n".join(lines) + "\n"


def parse_progress(text: str) -> Progress | None:
    """The counters of an overview's text (the last value wins if the text holds several
    overviews); None when it holds none."""
    by_label = {label: name for name, label in _LABELS.items()}
    values: dict = {}
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        name = by_label.get(label.strip())
        if sep and name:
            try:
                values[name] = float(value) if name == "elapsed_seconds" else int(value)
            except ValueError:
                continue
    return Progress(**values) if values else None


def batch_settings(deployment_settings: dict | None, overrides: dict | None = None) -> dict:
    """The settings a batch job runs with: the defaults, then the deployment's (None means unset,
    as the SDK sends it), then the invocation's overrides. `retry_settings` is flattened into
    `max_retries` and `timeout`."""
    merged = dict(SETTINGS_DEFAULTS)
    for source in (deployment_settings or {}, overrides or {}):
        flat = dict(source)
        retry = flat.pop("retry_settings", None) or {}
        flat.update({k: v for k, v in retry.items() if k in ("max_retries", "timeout")})
        merged.update({k: v for k, v in flat.items() if v is not None})
    return merged


def settings_problems(settings: dict) -> list[str]:
    """`field: why` for each setting a batch job cannot run with (after `batch_settings`)."""
    problems = []

    def whole(field: str, low: int) -> None:
        value = settings.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            problems.append(f"{field}: must be a whole number >= {low}, got {value!r}")

    for field in ("mini_batch_size", "max_concurrency_per_instance", "instance_count", "timeout"):
        whole(field, 1)
    whole("max_retries", 0)
    whole("error_threshold", -1)
    if str(settings.get("output_action")).lower() not in OUTPUT_ACTIONS:
        problems.append(f"output_action: use append_row or summary_only, got {settings.get('output_action')!r}")
    if str(settings.get("logging_level")).lower() not in LOGGING_LEVELS:
        problems.append(f"logging_level: use warning, info or debug, got {settings.get('logging_level')!r}")
    name = settings.get("output_file_name")
    if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
        problems.append(f"output_file_name: give a file name (no folder), got {name!r}")
    return problems


def default_output_path(datastore: str, job_name: str) -> str:
    """Where a job's `score` output goes without --output-path. Azure says only "the default
    blob store, within a folder named by job name" (2.4); our rule is the pipelines' form."""
    return f"azureml://datastores/{datastore}/paths/azureml/{job_name}/{SCORE_OUTPUT}/"

