"""Live job metrics on Azure, read from the workspace's MLflow tracking server.

Same interface as the local backend's reader, so the charts work on both:

    reader = client.jobs.metrics_reader("my-job")     # an AzureMetricsReader
    reader.read_new()   # {"loss": [(step, timestamp_ms, value), ...]} logged since the last call

The job's run id is the job name. The tracking endpoint comes from the job itself
(`services["Tracking"].endpoint`, `azureml://<region>.api.azureml.ms/mlflow/v1.0/<workspace scope>`),
or for a pipeline step, which run history gives no services, from the workspace's MLflow tracking URI;
and the MLflow REST API (runs/get, metrics/get-history) is called through MLClient's own request
pipeline, so record and replay cover it like any other call. Errors are `amlmagic.errors` types
(translated by the status MLflow answered, as every Azure error).
"""

from __future__ import annotations

import json
from urllib.parse import quote

from ..errors import BackendError
from .errors import translate_azure_error, translating
from .steps import is_step

__all__ = ["AzureMetricsReader", "tracking_base_url"]

_SCOPE = "https://management.azure.com/.default"


def tracking_base_url(tracking_endpoint: str) -> str:
    """azureml://host/mlflow/v1.0/<scope>? -> https://host/mlflow/v1.0/<scope>"""
    url = tracking_endpoint.split("?", 1)[0].rstrip("/")
    if url.startswith("azureml://"):
        url = "https://" + url[len("azureml://"):]
    return url


class AzureMetricsReader:
    """Incremental reader of one job's metrics (MLflow run = job name)."""

    def __init__(self, ml_client, job_name: str, job=None):
        self._client = ml_client  # azure-ai-ml's MLClient (its credential and request pipeline)
        self.job_name = job_name
        self._job = job  # the job, when the caller already got it
        self._base: str | None = None
        self._seen: dict[str, int] = {}  # metric -> how many points were already returned

    def _base_url(self) -> str:
        if self._base is None:
            job = self._job or self._client.jobs.get(self.job_name)
            tracking = (job.services or {}).get("Tracking")
            endpoint = getattr(tracking, "endpoint", None)
            if not endpoint and is_step(job):
                # A pipeline step (a run history child, no services of its own) logs to the
                # workspace's tracking server, as every job of the workspace does.
                endpoint = self._client.workspaces.get(self._client.workspace_name).mlflow_tracking_uri
            if not endpoint:
                raise BackendError(f"Job {self.job_name} has no MLflow tracking endpoint: metrics are unavailable for it.")
            self._base = tracking_base_url(endpoint)
        return self._base

    def _get(self, api: str, **params) -> dict:
        query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())
        url = f"{self._base_url()}/api/2.0/mlflow/{api}?{query}"
        token = self._client._credential.get_token(_SCOPE).token
        response = self._client._requests_pipeline.get(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        if response.status_code >= 400:
            from azure.core.exceptions import HttpResponseError

            error = translate_azure_error(HttpResponseError(response=response))
            raise type(error)(f"MLflow tracking of job {self.job_name}, {api}: {error}")
        return json.loads(response.text() or "{}")

    def metric_names(self) -> list[str]:
        run = self._get("runs/get", run_id=self.job_name).get("run", {})
        return sorted({m["key"] for m in run.get("data", {}).get("metrics", []) or []})

    def read_new(self) -> dict[str, list[tuple[int, int, float]]]:
        with translating():
            return self._read_new()

    def _read_new(self) -> dict[str, list[tuple[int, int, float]]]:
        new: dict[str, list[tuple[int, int, float]]] = {}
        for name in self.metric_names():
            history = self._get("metrics/get-history", run_id=self.job_name, metric_key=name).get("metrics", [])
            points = sorted(
                (int(m.get("step", 0) or 0), int(m.get("timestamp", 0) or 0), float(m["value"])) for m in history
            )
            points.sort(key=lambda p: (p[1], p[0]))  # logging order: by time, then step
            already = self._seen.get(name, 0)
            if len(points) > already:
                new[name] = points[already:]
                self._seen[name] = len(points)
        return new
