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
