"""`client.data`, `client.environments`, `client.models` and `client.datastores` on Azure:
MLClient's groups, errors translated, plus the interface's extras.

    client.data.local_path("iris", "1")      # downloaded once into this client's cache folder
    client.models.lineage("iris-model", "1") # {"job": ..., "data": [...], "environment": ...}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..errors import UnsupportedError
from .errors import translating
from .wrap import TranslatedOperations

__all__ = ["AzureDataOperations", "AzureEnvironmentOperations", "AzureModelOperations",
           "AzureDatastoreOperations"]


class AzureDatastoreOperations(TranslatedOperations):
    def local_path(self, uri: str) -> Path | None:
        """Only Azure holds what a datastore URI names."""
        return None


class AzureDataOperations(TranslatedOperations):
    def __init__(self, inner: Any, datastores: Any):
        super().__init__(inner)
        self._datastores = datastores  # MLClient's DatastoreOperations (downloads read the datastore)
        self._cache: Path | None = None

    def _version(self, name: str, version: str | None) -> Any:
        return self.get(name, version=version) if version else self.get(name, label="latest")

    def download(self, name: str, version: str | None = None, download_path: str | Path = ".") -> None:
        """The version's files into `download_path` (as `az ml data download`: the datastore
        path its `path` names, read from blob storage)."""
        self._download(self._version(name, version), Path(download_path))

    def _download(self, data: Any, destination: Path) -> Path:
        from azure.ai.ml._artifacts._artifact_utilities import download_artifact_from_aml_uri

        path = str(data.path or "")
        if not path.startswith("azureml://"):
            raise UnsupportedError(f"data {data.name}:{data.version} lives at {path}, outside the workspace's "
                                   "datastores: read it from there.")
        destination.mkdir(parents=True, exist_ok=True)
        with translating():
            download_artifact_from_aml_uri(path, str(destination), self._datastores)
        return destination

    def local_path(self, name: str, version: str | None = None) -> Path:
        """The version downloaded into this client's cache folder (once); the file itself for
        a uri_file."""
        data = self._version(name, version)
        if self._cache is None:
            import tempfile

            self._cache = Path(tempfile.mkdtemp(prefix="amlmagic-azure-data-", dir=tempfile.gettempdir()))
        folder = self._cache / data.name / str(data.version)
        if not folder.is_dir():
            partial = folder.with_name(folder.name + ".partial")
            self._download(data, partial)
            partial.rename(folder)  # a download cut short is never taken for the data
        files = [p for p in folder.rglob("*") if p.is_file()]
        return files[0] if str(data.type) == "uri_file" and len(files) == 1 else folder

    def registered_source(self, name: str, version: str) -> Path | None:
        """Azure keeps no record of the local path a version was uploaded from."""
        self.get(name, version=version)
        return None


class AzureEnvironmentOperations(TranslatedOperations):
    def build(self, name: str, version: str, log: Callable[[str], None] | None = None) -> str:
        self.get(name, version=version)  # NotFoundError first, as on every backend
        raise UnsupportedError(
            f"Azure builds the environment image when a job first uses it; submit a job with "
            f"environment: azureml:{name}:{version} and follow its log (%aml job stream).")


class AzureModelOperations(TranslatedOperations):
    def __init__(self, inner: Any, jobs: Any):
        super().__init__(inner)
        self._jobs = jobs  # the client's translated JobOperations

    def registered_source(self, name: str, version: str) -> Path | None:
        """Azure keeps no record of the local path a version was uploaded from."""
        self.get(name, version=version)
        return None

    def lineage(self, name: str, version: str | None = None) -> dict:
        """The job that produced the version (the model's `job_name`), that job's data inputs and
        its environment; {} for a model registered from a path."""
        model = self.get(name, version=version) if version else self.get(name, label="latest")
        job_name = getattr(model, "job_name", None) or _job_of_output(str(model.path or ""))
        if not job_name:
            return {}
        job = self._jobs.get(job_name)
        data = [_asset_ref(value.path) for value in (getattr(job, "inputs", None) or {}).values()
                if isinstance(getattr(value, "path", None), str) and value.path]
        return {"job": job_name, "data": data, "environment": _asset_ref(getattr(job, "environment", None))}


def _job_of_output(path: str) -> str | None:
    """The job an `azureml://jobs/<job>/outputs/...` model path names."""
    parts = path.split("/")
    return parts[3] if path.startswith("azureml://jobs/") and len(parts) > 4 and parts[3] else None


def _asset_ref(value: Any) -> str | None:
    """An input's path or a job's environment as a YAML would name it: `azureml:name:version`
    (Azure answers ARM ids, azure-ai-ml `name:version`), URIs as they are."""
    if value is None:
        return None
    if not isinstance(value, str):  # an inline Environment entity
        name, version = getattr(value, "name", None), getattr(value, "version", None)
        return f"azureml:{name}:{version}" if name and version else None
    if "://" in value:
        return value
    from ..rules import parse_asset_ref

    ref = parse_asset_ref(value)
    return f"azureml:{ref.name}:{ref.version}" if ref.version else f"azureml:{ref.name}@{ref.label or 'latest'}"
