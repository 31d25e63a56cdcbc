"""`%aml export`: what this notebook session created, as CLI v2 YAML files + deploy.sh + README.

    export_session(session, folder)             # everything, final state, ready for `bash deploy.sh`
    export_session(session, folder, last=True)  # only the YAML of the most recent create
    export_session(session, folder, ci="github")  # and a CI/CD workflow running deploy.sh (ci.py)
    export_entity_yaml(entity, path)            # `--export FILE` of a create: its YAML as resolved
"""

from __future__ import annotations

import datetime as _dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..display import TextBlock
from ..errors import UsageError
from ..files import write_text_atomic
from .batch import default_notes
from .build import PLACEHOLDER_COMPUTE, Exported, build_yaml, dump_yaml
from .ci import check_ci_kind, ci_readme, write_ci
from .deploy import plan_steps, render_deploy_sh, render_readme, secrets_by_part
from .files import Placer
from .references import add_referenced, deploy_order
from .schedules import build_schedule
from .trail import TrailItem, entity_kind, final_items

__all__ = ["export_session", "export_entity_yaml", "ExportResult", "MARKER"]

MARKER = ".amlmagic-export"  # marks a folder this module wrote, so a new export may replace it
_FOLDERS = {"datastore": "datastores", "compute": "computes", "environment": "environments", "data": "data",
            "component": "components",
            "job": "jobs", "model": "models", "online-endpoint": "endpoints", "online-deployment": "deployments",
            "schedule": "schedules", "batch-endpoint": "batch-endpoints", "batch-deployment": "batch-deployments",
            "batch-invocation": "batch-invocations"}


class ExportResult(TextBlock):
    """What the magic shows (a summary), with the folder and the files for code."""

    folder: Path
    files: list[str]

    @classmethod
    def of(cls, folder: Path, files: list[str], text: str) -> "ExportResult":
        result = cls(text)
        result.folder, result.files = folder, files
        return result


def _slug(item: TrailItem) -> str:
    entity = item.entity
    if item.kind in ("data", "environment", "model", "component"):
        return f"{entity.name}-{entity.version}"
    if item.kind in ("online-deployment", "batch-deployment"):
        return f"{entity.endpoint_name}-{entity.name}"
    return str(entity.name)


def _write_item(item: TrailItem, root: Path, yaml_path: Path, client: Any, jobs: dict[str, str],
                exclude: tuple[Path, ...]) -> Exported:
    placer = Placer(yaml_path.parent, copy=True, exclude=exclude)
    build = build_schedule if item.kind == "schedule" else build_yaml
    out = build(item, placer, client, jobs=jobs, for_azure=True)
    if out.args is None:  # else an action deploy.sh runs with arguments (a batch invocation)
        write_text_atomic(yaml_path, dump_yaml(out.spec))
    return out


def _check_target(folder: Path) -> None:
    if folder.exists() and not (folder.is_dir() and ((folder / MARKER).exists() or not any(folder.iterdir()))):
        raise UsageError(f"{folder} exists and is not an earlier export: choose another --dir or remove it")


def _last_create(session: Any) -> TrailItem:
    for entry in reversed(session.trail):
        if entry.verb == "create" and entry.entity is not None and entry.noun in _FOLDERS:
            return TrailItem(entry.noun, entry.key, entry.entity, entry.base_path, entry.line)
    raise UsageError("nothing created yet in this session: run a %aml ... create first")


def export_session(session: Any, folder: str | Path, last: bool = False, ci: str | None = None) -> ExportResult:
    folder = Path(folder).resolve()
    client = session.client
    check_ci_kind(ci)
    if last and ci:
        raise UsageError("--ci writes a workflow for the whole export: drop --last")
    if last:
        item = _last_create(session)
        folder.mkdir(parents=True, exist_ok=True)
        yaml_path = folder / f"{item.kind}.yml"
        _write_item(item, folder, yaml_path, client, {}, (folder,))
        return ExportResult.of(folder, [yaml_path.name], f"exported {item.kind} {item.entity.name} to {yaml_path}")

    items = final_items(session.trail)
    if not items:
        raise UsageError("nothing to export: this session has created nothing (a new kernel starts with an empty trail)")
    notes = add_referenced(items, client)
    items, order_notes = deploy_order(items)  # each thing after what it uses (Azure checks on create)
    notes += order_notes + default_notes(items)
    _check_target(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.staging-"))
    try:
        exported: list[tuple[Exported, str]] = []
        jobs = {i.entity.name: i.entity.name for i in items if i.kind == "job"}
        for item in items:
            relative = f"{_FOLDERS[item.kind]}/{_slug(item)}/{item.kind}.yml"
            out = _write_item(item, staging, staging / relative, client, jobs, (folder, staging))
            exported.append((out, relative))
        steps = plan_steps(exported)
        variables = {}
        if any(("compute", "azureml:$COMPUTE") in out.sets for out, _ in exported):
            variables["COMPUTE"] = (PLACEHOLDER_COMPUTE, "the cluster that replaces the local compute")
        if any(key == "account_name" for out, _ in exported for key, _v in out.sets):
            variables["STORAGE_ACCOUNT"] = ("mystorageaccount", "the storage account of local folder datastores")
        secrets = sorted({name for out, _ in exported for name in out.secrets})
        files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        stamp = _dt.datetime.now().isoformat(timespec="seconds")
        if secrets:
            notes.append("Left out as secrets (deploy.sh reads them from the environment): " + ", ".join(secrets))
        write_text_atomic(staging / "deploy.sh", render_deploy_sh(steps, variables, secrets))
        (staging / "deploy.sh").chmod(0o755)
        readme = render_readme(steps, files, session.backend, notes, stamp)
        workflow = write_ci(staging, ci, variables, secrets_by_part(steps, secrets)) if ci else None
        write_text_atomic(staging / "README.md", readme + (ci_readme(ci) if ci else ""))
        write_text_atomic(staging / MARKER, stamp + "\n")
        _swap_in(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    summary = [f"exported {len(exported)} item(s) to {folder}: deploy.sh, README.md"
               + (f", {workflow}" if workflow else "")]
    summary += [f"  {relative}" if out.args is None else f"  az ml batch-endpoint invoke -n {out.item.entity.endpoint_name} "
                f"(deploy.sh)" for out, relative in exported]
    return ExportResult.of(folder, ["deploy.sh", "README.md", *([workflow] if workflow else []), *files],
                           "\n".join(summary))


def _swap_in(staging: Path, folder: Path) -> None:
    """Replace an earlier export as a whole: readers see the old folder or the new one."""
    old = None
    if folder.exists():
        old = folder.parent / f".{folder.name}.old-{staging.name.rsplit('-', 1)[-1]}"
        folder.rename(old)
    staging.rename(folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export_entity_yaml(entity: Any, path: str | Path) -> Path:
    """The YAML of one created entity as it was resolved, paths relative to `path`'s folder
    pointing at the content where it is (nothing copied), and no secrets."""
    from ..session import current_session, entity_key

    session = current_session()
    path = Path(path).resolve()
    entry = next((e for e in reversed(session.trail) if e.entity is entity), None)
    kind = entry.noun if entry is not None else entity_kind(entity)
    if kind not in _FOLDERS:
        raise UsageError(f"--export cannot write a {type(entity).__name__}: only assets, computes, jobs and endpoints")
    key = entry.key if entry is not None else entity_key(kind, entity)
    item = TrailItem(kind, key, entity, entry.base_path if entry else str(path.parent), "")
    placer = Placer(path.parent, copy=False)
    if kind == "schedule":
        out = build_schedule(item, placer, session.client, for_azure=False)
    else:
        out = build_yaml(item, placer, session.client, for_azure=False, conda_name=f"{path.stem}.conda.yml")
    write_text_atomic(path, dump_yaml(out.spec))
    return path
