"""The client interface: what magics, widgets and export may call, whatever the backend.

    from amlmagic.session import current_session
    client = current_session().client          # an AmlClient
    job = client.jobs.get("my-job")            # azure.ai.ml.entities.Command, as MLClient returns

`AmlClient` is azure-ai-ml's `MLClient` as this project uses it: the same operation groups, method
names, signatures and returned `azure.ai.ml.entities` classes, plus the extras the UI needs (each
marked "extra" and declared once here with its contract). `LocalMLClient` (amlmagic.local) and
`AzureMLClient` (amlmagic.backends, over a real or replayed MLClient) implement all of it.

Contract for every method:
- errors are `amlmagic.errors` types (not found, validation, conflict, auth, throttling,
  service), on every backend; nothing returns silently empty where the backend cannot do a thing:
  it raises `UnsupportedError` with one line saying what to do instead;
- `get`/`list` return fresh entities on every call (a held entity never changes under its user);
- `begin_*` return a poller with `result(timeout=None)`, `wait(timeout=None)` and `done()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Protocol, runtime_checkable

__all__ = [
    "AmlClient", "Poller", "MetricsReader", "JobOperations", "ComputeOperations", "DatastoreOperations",
    "DataOperations", "EnvironmentOperations", "ModelOperations", "OnlineEndpointOperations",
    "OnlineDeploymentOperations", "ComponentOperations", "ActivityOperations", "ScheduleOperations",
    "BatchEndpointOperations", "BatchDeploymentOperations", "Points",
]

# {metric: [(step, timestamp_ms, value), ...]}
Points = dict[str, list[tuple[int, int, float]]]


@runtime_checkable
class Poller(Protocol):
    """What `begin_*` returns (azure-core's LROPoller shape)."""

    def result(self, timeout: float | None = None) -> Any: ...
    def wait(self, timeout: float | None = None) -> None: ...
    def done(self) -> bool: ...


@runtime_checkable
class MetricsReader(Protocol):
    """Incremental reader of one job's MLflow metrics."""

    def read_new(self) -> Points:
        """The points logged since the previous call (all of them on the first), in logging order."""
        ...


@runtime_checkable
class JobOperations(Protocol):
    def create_or_update(self, job: Any, **kwargs: Any) -> Any: ...
    def get(self, name: str) -> Any: ...
    def list(self, *, parent_job_name: str | None = None, **kwargs: Any) -> Iterable[Any]: ...
    def stream(self, name: str) -> None: ...
    def begin_cancel(self, name: str, **kwargs: Any) -> Poller: ...
    def download(self, name: str, *, download_path: str | Path = ".", output_name: str | None = None,
                 all: bool = False) -> None: ...

    # -- extras ---------------------------------------------------------------------------------
    def wait(self, name: str, timeout: float | None = None) -> Any:
        """Extra. Block until the job is in a terminal status (or `timeout` seconds pass); the job."""
        ...

    def read_log(self, name: str, offset: int = 0, log: str | None = None) -> tuple[str, int]:
        """Extra. Text appended to the job's log since byte `offset`, and the new offset: by default
        the log `az ml job stream` follows (`user_logs/std_log.txt`; a distributed job: rank 0's,
        rules/logs.py), else `log`, one of `log_names`. ("", offset) while the log does not exist
        yet; NotFoundError for an unknown job or log."""
        ...

    def log_names(self, name: str) -> list[str]:
        """Extra. The job's per-process logs in `user_logs/` (one, `std_log.txt`, unless the job is
        distributed); `rules.stream_log` picks the one `az ml job stream` follows. A batch job's
        (its `batchscoring` step's) also list `rules.batch.PROGRESS_LOG` once it is written."""
        ...

    def metrics_reader(self, name: str) -> MetricsReader:
        """Extra. The job's metrics, read incrementally (locally the job's MLflow store; on Azure the
        workspace's MLflow tracking URI). NotFoundError for an unknown job."""
        ...

    def code_source(self, name: str) -> Path | None:
        """Extra, for export. The folder on this machine the job's `code:` was submitted from (a
        sweep: its trial's), or None when nothing local is known."""
        ...

    def code_hash(self, name: str) -> str | None:
        """Extra, for lineage. The content hash of the code the job ran (a sweep: its trial's):
        azure-ai-ml's `hash_sha256` of the uploaded files (Azure: the code asset's; locally: the
        same hash of the job's snapshot); None for a job without code. NotFoundError for an
        unknown job."""
        ...


@runtime_checkable
class ComputeOperations(Protocol):
    def get(self, name: str) -> Any: ...
    def list(self, **kwargs: Any) -> Iterable[Any]: ...
    def begin_create_or_update(self, compute: Any, **kwargs: Any) -> Poller: ...
    def begin_delete(self, name: str, **kwargs: Any) -> Poller: ...

    # -- extras ---------------------------------------------------------------------------------
    def get_default(self) -> str | None:
        """Extra. The compute a job without `compute:` runs on (`%aml compute use`), or None."""
        ...

    def use(self, name: str) -> Any:
        """Extra. Make an existing compute the default of later jobs; returns it."""
        ...


@runtime_checkable
class DatastoreOperations(Protocol):
    def create_or_update(self, datastore: Any) -> Any: ...
    def get(self, name: str, **kwargs: Any) -> Any: ...
    def list(self, **kwargs: Any) -> Iterable[Any]: ...
    def delete(self, name: str) -> None: ...

    # -- extras ---------------------------------------------------------------------------------
    def local_path(self, uri: str) -> Path | None:
        """Extra, for export. The file or folder on this machine an `azureml://datastores/...` or
        `azureml://jobs/...` URI names, or None when only Azure has it."""
        ...


class _VersionedAssetOperations(Protocol):
    def create_or_update(self, entity: Any) -> Any: ...
    def get(self, name: str, version: str | None = None, label: str | None = None) -> Any: ...
    def list(self, name: str | None = None, **kwargs: Any) -> Iterable[Any]: ...


@runtime_checkable
class DataOperations(_VersionedAssetOperations, Protocol):
    def download(self, name: str, version: str | None = None, download_path: str | Path = ".") -> None: ...

    # -- extras ---------------------------------------------------------------------------------
    def local_path(self, name: str, version: str | None = None) -> Path:
        """Extra. The version's content as a path on this machine (for previews): locally the
        registered copy; on Azure a download into a cache folder."""
        ...

    def registered_source(self, name: str, version: str) -> Path | None:
        """Extra, for export. The original local path the version was registered from, if known
        and still there."""
        ...


@runtime_checkable
class EnvironmentOperations(_VersionedAssetOperations, Protocol):
    # -- extras ---------------------------------------------------------------------------------
    def build(self, name: str, version: str, log: Callable[[str], None] | None = None) -> str:
        """Extra. Make the environment ready to run and return what runs it (locally: the python
        executable of its virtual environment, built once). UnsupportedError where the backend
        builds on first use (Azure builds the image when a job first uses it)."""
        ...


@runtime_checkable
class ModelOperations(_VersionedAssetOperations, Protocol):
    def download(self, name: str, version: str, download_path: str | Path = ".") -> None: ...

    # -- extras ---------------------------------------------------------------------------------
    def registered_source(self, name: str, version: str) -> Path | None:
        """Extra, for export. As `DataOperations.registered_source`."""
        ...

    def lineage(self, name: str, version: str | None = None) -> dict:
        """Extra. Where the version came from: {"job": name, "data": [...], "environment": ...};
        {} when it was registered from a path."""
        ...


@runtime_checkable
class ComponentOperations(_VersionedAssetOperations, Protocol):
    def list(self, name: str | None = None, *, list_view_type: Any = "ActiveOnly", **kwargs: Any) -> Iterable[Any]:
        """Without `name`, the latest version of each component; with it, its versions.
        `list_view_type`: ActiveOnly (default), ArchivedOnly or All (azure-ai-ml's ListViewType)."""
        ...

    def archive(self, name: str, version: str | None = None, label: str | None = None) -> None:
        """Hide a version (or, without version and label, the whole component) from `list`;
        pipelines that name it still run."""
        ...

    def restore(self, name: str, version: str | None = None, label: str | None = None) -> None: ...


@runtime_checkable
class OnlineEndpointOperations(Protocol):
    def get(self, name: str, **kwargs: Any) -> Any: ...
    def list(self, **kwargs: Any) -> Iterable[Any]: ...
    def begin_create_or_update(self, endpoint: Any, **kwargs: Any) -> Poller: ...
    def begin_delete(self, name: str | None = None, **kwargs: Any) -> Poller: ...
    def get_keys(self, name: str) -> Any: ...
    def invoke(self, endpoint_name: str, *, request_file: str | None = None, deployment_name: str | None = None,
               **kwargs: Any) -> str: ...


@runtime_checkable
class OnlineDeploymentOperations(Protocol):
    def get(self, name: str, endpoint_name: str, **kwargs: Any) -> Any: ...
    def list(self, endpoint_name: str, **kwargs: Any) -> Iterable[Any]: ...
    def begin_create_or_update(self, deployment: Any, **kwargs: Any) -> Poller: ...
    def begin_delete(self, name: str, endpoint_name: str, **kwargs: Any) -> Poller: ...
    def get_logs(self, name: str, endpoint_name: str, lines: int, *, container_type: str | None = None,
                 **kwargs: Any) -> str: ...


@runtime_checkable
class ActivityOperations(Protocol):
    """Extra. The workspace's audit trail (amlmagic/audit): every change made through this
    interface (create, update, archive/restore, delete, traffic change, cancel, ...) appended to an
    activity log that is never rewritten; endpoint keys and other secrets masked."""

    def list(self, *, name: str | None = None, since: Any = None, max_results: int | None = None) -> list[dict]:
        """The entries (dicts: at, who, verb, kind, name, version, endpoint, before, after) for
        `name` (an asset, job, endpoint or deployment) at or after `since` (an aware datetime),
        newest first, at most `max_results`."""
        ...


@runtime_checkable
class ScheduleOperations(Protocol):
    """Job schedules (`JobSchedule` with a `CronTrigger` or `RecurrenceTrigger`)."""

    def begin_create_or_update(self, schedule: Any, **kwargs: Any) -> Poller: ...
    def get(self, name: str, **kwargs: Any) -> Any: ...
    def list(self, *, list_view_type: Any = "EnabledOnly", **kwargs: Any) -> Iterable[Any]:
        """Enabled schedules by default; `list_view_type`: EnabledOnly, DisabledOnly or All
        (azure-ai-ml's ScheduleListViewType)."""
        ...

    def begin_enable(self, name: str, **kwargs: Any) -> Poller: ...
    def begin_disable(self, name: str, **kwargs: Any) -> Poller: ...
    def begin_delete(self, name: str, **kwargs: Any) -> Poller:
        """Azure's rule: only a disabled schedule can be deleted; the jobs it triggered stay."""
        ...

    def trigger(self, name: str, **kwargs: Any) -> Any:
        """Fire an enabled schedule once, now; a `ScheduleTriggerResult` (its `job_name`)."""
        ...


@runtime_checkable
class BatchEndpointOperations(Protocol):
    def get(self, name: str, **kwargs: Any) -> Any: ...
    def list(self, **kwargs: Any) -> Iterable[Any]: ...
    def begin_create_or_update(self, endpoint: Any, **kwargs: Any) -> Poller: ...
    def begin_delete(self, name: str, **kwargs: Any) -> Poller: ...
    def invoke(self, endpoint_name: str, *, deployment_name: str | None = None, inputs: dict | None = None,
               **kwargs: Any) -> Any:
        """Start a batch job; azure-ai-ml's `BatchJob` (its `name` is the job in `jobs`). kwargs as
        MLClient's: input, outputs, job_name, params_override, experiment_name."""
        ...

    def list_jobs(self, endpoint_name: str, **kwargs: Any) -> Iterable[Any]: ...


@runtime_checkable
class BatchDeploymentOperations(Protocol):
    def get(self, name: str, endpoint_name: str, **kwargs: Any) -> Any: ...
    def list(self, endpoint_name: str, **kwargs: Any) -> Iterable[Any]: ...
    def begin_create_or_update(self, deployment: Any, **kwargs: Any) -> Poller: ...
    def begin_delete(self, name: str, endpoint_name: str, **kwargs: Any) -> Poller: ...
    def list_jobs(self, endpoint_name: str, *, name: str | None = None, **kwargs: Any) -> Iterable[Any]: ...


@runtime_checkable
class AmlClient(Protocol):
    """MLClient's operation groups as amlmagic uses them, on any backend."""

    backend: str  # "local" | "azure" | "replay"

    @property
    def workspace_name(self) -> str: ...

    @property
    def jobs(self) -> JobOperations: ...

    @property
    def compute(self) -> ComputeOperations: ...

    @property
    def datastores(self) -> DatastoreOperations: ...

    @property
    def data(self) -> DataOperations: ...

    @property
    def environments(self) -> EnvironmentOperations: ...

    @property
    def models(self) -> ModelOperations: ...

    @property
    def components(self) -> ComponentOperations: ...

    @property
    def online_endpoints(self) -> OnlineEndpointOperations: ...

    @property
    def online_deployments(self) -> OnlineDeploymentOperations: ...

    @property
    def activity(self) -> ActivityOperations: ...

    @property
    def schedules(self) -> ScheduleOperations: ...

    @property
    def batch_endpoints(self) -> BatchEndpointOperations: ...

    @property
    def batch_deployments(self) -> BatchDeploymentOperations: ...
