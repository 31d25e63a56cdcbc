"""MLflow tracking for local jobs: each job gets its own run in <workspace>/mlruns (run id == job
name), unchanged MLflow scripts log into it through environment variables, and other processes
read the points back incrementally. See runs.py for the store choice."""

from amlmagic.local.tracking.reader import MetricsReader, read_metrics, read_params, read_tags
from amlmagic.local.tracking.runs import end_run, prepare_run

__all__ = ["prepare_run", "end_run", "MetricsReader", "read_metrics", "read_params", "read_tags"]
