"""The seam for metrics: the reader that fits the client's backend. Widgets and magics read
metrics only through here."""

from __future__ import annotations

from typing import Any

__all__ = ["metrics_reader", "read_all_metrics"]


def metrics_reader(client: Any, job_name: str) -> Any:
    """An object with `read_new() -> {metric: [(step, timestamp_ms, value)]}` (new points only)."""
    if getattr(client, "backend", None) == "local":
        from .local.tracking import MetricsReader

        client.jobs.local_dir(job_name)  # NotFoundError for an unknown job, as on Azure
        return MetricsReader(client.root, job_name)
    from .backends import AzureMetricsReader

    return AzureMetricsReader(client, job_name)


def read_all_metrics(client: Any, job_name: str) -> dict[str, list[tuple[int, int, float]]]:
    return metrics_reader(client, job_name).read_new()
