"""Snapshot a `code:` folder (or single file) as Azure does at submit: later edits to the source
never change what a job, a sweep's trials or a deployment runs."""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["snapshot_code", "SNAPSHOT_IGNORE"]

SNAPSHOT_IGNORE = (".git", "__pycache__", ".ipynb_checkpoints", ".amlmagic")


def snapshot_code(source: Path, target: Path, workspace_root: Path | None = None) -> Path:
    """Copy `source` into `target` (a new folder); leave out VCS and cache folders and the
    workspace folder itself. Symlinks are followed: real copies, since an editor may rewrite a
    linked file in place."""
    source = Path(source)
    if source.is_file():
        target.mkdir(parents=True)
        shutil.copy2(source, target / source.name)
        return target

    def ignore(folder: str, names: list[str]) -> list[str]:
        return [n for n in names
                if n in SNAPSHOT_IGNORE or (workspace_root and Path(folder, n).resolve() == workspace_root)]

    shutil.copytree(source, target, ignore=ignore, symlinks=False)
    return target
