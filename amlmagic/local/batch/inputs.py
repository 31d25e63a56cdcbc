"""A batch job's input: what the invocation names (a local folder or file, a data asset, a
datastore path) as a local path, and its files streamed in mini-batches.

    path = resolve_input(store, "azureml:mnist-sample@latest", cwd)     # at invoke
    for index, files in mini_batches(path, 10): ...                      # in the driver

Work is split at file level (../shared/azureml-semantics-2.md 2.3): `mini_batch_size` files per
mini-batch, whatever their size. Our rule: a folder is walked recursively in the order the file
system lists it (Azure's order is unordered); an MLflow deployment reads only the top level
("nested folders are not traversed", 2.5). The listing is streamed: nothing holds every name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterator

from ...errors import NotFoundError, UnsupportedError, ValidationError
from ...rules import parse_asset_ref
from ..store import Store
from ..uris import is_remote_uri, resolve_uri

__all__ = ["resolve_input", "iter_files", "mini_batches", "count_files"]

_ASSET = re.compile(r"^[A-Za-z0-9_.-]+(:[^/:]+|@[A-Za-z]+)$")  # name:version, name@latest


def _data_asset(store: Store, text: str) -> Path:
    ref = parse_asset_ref(text)
    if ref.registry is not None:
        raise NotFoundError(f"input {text}: registry {ref.registry!r} is not available locally; register the "
                            "data in this workspace with %aml data create")
    version = ref.version or store.latest_version("data", ref.name)
    record = store.get_version("data", ref.name, version) if version else None
    if record is None:
        raise NotFoundError(f"input {text}: data asset not found: register it with %aml data create, or give a "
                            "local folder or an azureml://datastores/... path")
    if record["spec"].get("type") == "mltable":
        raise ValidationError(f"input {text} is an mltable: batch deployments take uri_folder or uri_file data")
    return resolve_uri(store, record["spec"]["path"])


def resolve_input(store: Store, path: Any, base: Path, input_type: str | None = None) -> Path:
    """The local file or folder an invocation's input names; NotFoundError when it is missing."""
    text = str(getattr(path, "path", path) or "")
    if not text:
        raise ValidationError("the invocation has no input: give --input (a folder, a file, azureml:data@latest or "
                              "an azureml://datastores/... path)")
    if is_remote_uri(text):
        raise UnsupportedError(f"input {text}: the local backend reads no web URLs; download the files and give "
                               "the local folder with --input")
    if text.startswith("azureml://datastores/") or text.startswith("azureml://jobs/"):
        local = resolve_uri(store, text)
    elif text.startswith("azureml:") or (_ASSET.match(text) and not (Path(base) / text).exists()):
        local = _data_asset(store, text)
    else:
        local = resolve_uri(store, text, base)
    if not local.exists():
        raise NotFoundError(f"input {text} does not exist ({local}): check --input")
    if input_type == "uri_folder" and not local.is_dir():
        raise ValidationError(f"input {text} is a file but --input-type is uri_folder: use uri_file")
    if input_type == "uri_file" and not local.is_file():
        raise ValidationError(f"input {text} is a folder but --input-type is uri_file: use uri_folder")
    return local


def iter_files(path: Path, recursive: bool = True) -> Iterator[str]:
    """The input's files, streamed (a file input: itself); hidden names are skipped."""
    path = Path(path)
    if path.is_file():
        yield str(path)
        return
    stack = [str(path)]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    if recursive:
                        stack.append(entry.path)
                elif entry.is_file():
                    yield entry.path


def count_files(path: Path, recursive: bool = True) -> int:
    return sum(1 for _ in iter_files(path, recursive))


def mini_batches(path: Path, size: int, recursive: bool = True) -> Iterator[tuple[int, list[str]]]:
    """(index, files) of each mini-batch, `size` files each (the last may hold fewer)."""
    batch: list[str] = []
    index = 0
    for file in iter_files(path, recursive):
        batch.append(file)
        if len(batch) == size:
            yield index, batch
            index, batch = index + 1, []
    if batch:
        yield index, batch
