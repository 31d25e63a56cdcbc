"""A deployment's snapshot: its code copied at create (editing the source later does not change
a running deployment) and its model laid out as Azure mounts it, under
`endpoints/<endpoint>/deployments/<deployment>/<snapshot>/`. Each create or update makes a new
snapshot, so the running workers keep theirs until the server has switched over."""

from __future__ import annotations

import os
import secrets
import shutil
import time
from pathlib import Path

from ..snapshots import snapshot_code as copy_code
from .records import state_dir

__all__ = ["new_snapshot", "snapshot_code", "layout_model", "prune_snapshots", "deployment_folder"]


def deployment_folder(store, endpoint: str, deployment: str) -> Path:
    return state_dir(store, endpoint) / "deployments" / deployment


def new_snapshot(store, endpoint: str, deployment: str) -> Path:
    # Sortable by creation, unique across processes.
    folder = deployment_folder(store, endpoint, deployment) / f"{time.time_ns():x}-{secrets.token_hex(3)}"
    folder.mkdir(parents=True)
    return folder


def snapshot_code(source: Path, snapshot: Path) -> Path:
    """A copy of the code folder (real copies: an editor may rewrite a file in place)."""
    return copy_code(source, snapshot / "code")


def _link_or_copy(src: str, dst: str) -> str:
    # Registered model content never changes, so a hard link is as good as a copy and costs
    # nothing for large models; across filesystems fall back to copying.
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def layout_model(source: Path, snapshot: Path, name: str, version: str, link: bool = False) -> Path:
    """Lay out the model as Azure does and return AZUREML_MODEL_DIR:
    `azureml-models/<name>/<version>/`, with a model registered from a folder (or a file)
    sitting under it by its own name (../shared/azureml-semantics.md, endpoints). `link` hard-
    links the files of a registered (immutable) model; an inline path is copied."""
    model_dir = snapshot / "azureml-models" / name / str(version)
    model_dir.mkdir(parents=True)
    target = model_dir / source.name
    copy = _link_or_copy if link else shutil.copy2
    if source.is_dir():
        shutil.copytree(source, target, copy_function=copy, symlinks=False)
    else:
        copy(str(source), str(target))
    return model_dir


def prune_snapshots(store, endpoint: str, deployment: str, keep: Path | None) -> None:
    """Remove the deployment's snapshots other than `keep` (None: all of them)."""
    folder = deployment_folder(store, endpoint, deployment)
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if keep is None or child.resolve() != Path(keep).resolve():
            shutil.rmtree(child, ignore_errors=True)
    if keep is None:
        shutil.rmtree(folder, ignore_errors=True)
