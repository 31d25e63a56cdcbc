"""Copy local content into the workspace's default datastore, content-addressed as Azure does
(`LocalUpload/<hash>/<name>`), so a registered version never changes when its source does."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from .store import Store

__all__ = ["upload_local_path", "content_hash", "DEFAULT_DATASTORE"]

DEFAULT_DATASTORE = "workspaceblobstore"


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(path) if file != path else file.name).encode())
        with open(file, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:32]


def upload_local_path(store: Store, source: Path) -> str:
    """Copy `source` (file or folder) into the default datastore; return its azureml:// URI."""
    source = Path(source).resolve()
    relative = f"LocalUpload/{content_hash(source)}/{source.name}"
    target = store.root / "datastores" / DEFAULT_DATASTORE / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".upload-"))
        try:
            staged = staging / source.name
            if source.is_dir():
                shutil.copytree(source, staged, symlinks=False)
            else:
                shutil.copy2(source, staged)
            try:
                os.rename(staged, target)
            except OSError:
                if not target.exists():  # another process won the race with identical content
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    suffix = "/" if source.is_dir() else ""
    return f"azureml://datastores/{DEFAULT_DATASTORE}/paths/{relative}{suffix}"
