"""The files an exported YAML needs (code folders, conda files, data and model content): find
them on this machine and put them beside the YAML, or point at them, with relative paths.

Two modes:
- copy (`%aml export`): copy the content into the YAML's folder, so the folder is self-contained;
- refer (`--export FILE`): write paths relative to FILE's folder to where the content already is.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ..errors import NotFoundError
from ..files import write_text_atomic

__all__ = ["Placer", "local_content", "registered_source", "original_job_code", "IGNORED_NAMES"]

# Never copied with a folder: caches, VCS data, the local workspace, and files that usually hold
# credentials (an export must not carry secrets).
IGNORED_NAMES = {".git", "__pycache__", ".ipynb_checkpoints", ".amlmagic", ".env", ".netrc", ".azure",
                 ".pytest_cache", ".mypy_cache", ".venv", "node_modules"}
_IGNORED_SUFFIXES = (".pyc", ".pem", ".key", ".pfx")
_REMOTE = ("azureml:", "http://", "https://", "wasbs://", "abfss://", "adl://", "s3://", "gs://")


def local_content(client: Any, path: Any, base_path: str | None) -> Path | None:
    """The file or folder on this machine that a path of an entity names, or None when it names
    something only Azure has (a registered asset, a remote URI) or nothing that exists."""
    text = str(path)
    if text.startswith(("azureml://datastores/", "azureml://jobs/")):
        return client.datastores.local_path(text)
    if text.startswith("file://"):
        text = text[len("file://"):]
    if text.startswith(_REMOTE):
        return None
    local = Path(text).expanduser()
    if not local.is_absolute():
        local = Path(base_path or os.getcwd()) / local
    local = local.resolve()
    return local if local.exists() else None


def registered_source(client: Any, kind: str, name: str, version: str) -> Path | None:
    """The original local path a data or model version was registered from, when the backend
    knows it and it still exists."""
    operations = {"data": client.data, "model": client.models}.get(kind)
    if operations is None:
        return None
    try:
        return operations.registered_source(name, str(version))
    except NotFoundError:  # gone from the workspace since: its registered copy will not do either
        return None


def original_job_code(client: Any, job_name: str) -> Path | None:
    """The code folder a job was submitted from (the entity names the snapshot), when the
    backend knows it and it still exists."""
    try:
        return client.jobs.code_source(job_name)
    except NotFoundError:
        return None


class Placer:
    """Relative paths from one YAML's folder to the content it needs."""

    def __init__(self, yaml_dir: Path, copy: bool, exclude: tuple[Path, ...] = ()):
        self.yaml_dir = Path(yaml_dir)
        self.copy = copy
        self.exclude = tuple(Path(p).resolve() for p in exclude)  # e.g. the export folder itself
        self.placed: list[Path] = []

    def place(self, source: Path, name: str | None = None) -> str:
        source = Path(source).resolve()
        if not self.copy:
            relative = os.path.relpath(source, self.yaml_dir.resolve())
            return relative if relative.startswith("..") else f"./{relative}"
        target = self.yaml_dir / (name or source.name)
        if target.exists() or target.is_symlink():
            shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=self._ignore, symlinks=False)
        else:
            shutil.copy2(source, target)
        self.placed.append(target)
        return f"./{target.relative_to(self.yaml_dir).as_posix()}"

    def write(self, name: str, text: str) -> str:
        """A generated file (e.g. an inline conda file) beside the YAML."""
        write_text_atomic(self.yaml_dir / name, text)
        self.placed.append(self.yaml_dir / name)
        return f"./{name}"

    def _ignore(self, folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in IGNORED_NAMES or n.endswith(_IGNORED_SUFFIXES)}
        for n in names:
            if Path(folder, n).resolve() in self.exclude:
                skipped.add(n)
        return skipped
