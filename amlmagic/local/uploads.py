"""Copy local content into the workspace's default datastore, content-addressed as Azure does
(`LocalUpload/<hash>/<name>`), so a registered version never changes when its source does."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from ..errors import ValidationError
from .store import Store

__all__ = ["upload_local_path", "content_hash", "check_regular", "DEFAULT_DATASTORE"]

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


# Kernel-made filesystems: their "files" are views of the running system, not content to keep.
_SYSTEM_FOLDERS = (Path("/proc"), Path("/sys"), Path("/dev"))


def check_regular(source: Path, walk: bool = True) -> None:
    """Refuse content that is not regular files and folders (a device, a pipe that would block
    the read forever, a socket, a dangling link, /proc), before anything is read or copied;
    `walk=False` checks `source` alone."""
    if any(source == folder or folder in source.parents for folder in _SYSTEM_FOLDERS):
        raise ValidationError(f"{source} is on a system filesystem ({source.parts[1]}), not content: "
                              "register regular files and folders")
    _check_entry(source)
    folders = [str(source)] if walk and source.is_dir() else []
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:  # the entry's type comes with the listing: no stat for plain ones
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif not entry.is_file(follow_symlinks=False):
                    _check_entry(Path(entry.path))  # a link (to what?) or a special file


def _check_entry(entry: Path) -> None:
    try:
        mode = entry.stat().st_mode  # through links: a link to a file is that file
    except OSError:
        raise ValidationError(f"{entry} cannot be read (a dangling link?): fix or remove it") from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ValidationError(f"{entry} is not a regular file (a device, pipe or socket): only regular files "
                              "and folders can be registered; remove it or register another path")


def upload_local_path(store: Store, source: Path) -> str:
    """Copy `source` (file or folder) into the default datastore; return its azureml:// URI."""
    source = Path(source).resolve()
    check_regular(source)
    relative = f"LocalUpload/{content_hash(source)}/{source.name}"
    target = store.root / "datastores" / DEFAULT_DATASTORE / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".upload-"))
        copied = False
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
            copied = True
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            if not copied:  # a failed copy leaves no empty LocalUpload/<hash>/ behind
                with contextlib.suppress(OSError):
                    target.parent.rmdir()
    suffix = "/" if source.is_dir() else ""
    return f"azureml://datastores/{DEFAULT_DATASTORE}/paths/{relative}{suffix}"
