"""`client.jobs`: command jobs run on this machine by the detached runner (../jobs/).

MLClient's interface: create_or_update, get, list(parent_job_name=None), stream, begin_cancel,
download; local additions the widgets and magics use: cancel, wait, metrics, read_log, local_dir.
Entities are azure-ai-ml's, rebuilt from the stored CLI v2 spec (cached by the record's mtime)
with the true status read from disk on every call.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from ...errors import BackendError, NotFoundError, ValidationError
from ..jobs.plan import submit_plan
from ..jobs.state import TERMINAL, job_dir, jobs_root, process_alive, read_record, read_status, update_status
from ..workspace import LocalWorkspace

__all__ = ["JobOperations", "CancelPoller"]


class CancelPoller:
    """What `begin_cancel` returns: `.result()` / `.wait()` block until the job has ended."""

    def __init__(self, ops: "JobOperations", name: str):
        self._ops, self._name = ops, name

    def done(self) -> bool:
        return self._ops._status(self._name)["status"] in TERMINAL

    def wait(self, timeout: float | None = None) -> None:
        self._ops.wait(self._name, timeout)

    def result(self, timeout: float | None = None) -> None:
        self.wait(timeout)


class JobOperations:
    def __init__(self, workspace: LocalWorkspace, client: Any = None):
        self._ws = workspace
        self._client = client
        self._root = workspace.root
        self._cache: dict[str, tuple[int, dict, Any]] = {}  # name -> (record mtime, record, entity)

    # -- submit ------------------------------------------------------------------------------
    def create_or_update(self, job: Any, **_: Any) -> Any:
        """Submit what `load_job` or `command(...)` returns; the job runs detached."""
        from ...spec.jobs import job_to_spec

        job_type = getattr(job, "type", None) or "command"
        base_path = getattr(job, "_base_path", None) or os.getcwd()
        spec = job_to_spec(job)
        if job_type == "sweep":
            try:
                from ..sweep.controller import submit_sweep
            except ImportError:
                raise BackendError("sweep jobs are not available in this version of the local backend") from None
            name = submit_sweep(self._root, spec, name=getattr(job, "name", None), base_path=base_path)
        elif job_type == "pipeline":
            from ..pipeline.controller import submit_pipeline

            name = submit_pipeline(self._root, spec, name=getattr(job, "name", None), base_path=base_path)
        elif job_type == "command":
            name = submit_plan(self._root, spec, name=getattr(job, "name", None), base_path=base_path)
        else:
            raise ValidationError(f"job type {job_type!r} cannot run locally: use a command, sweep or pipeline job")
        return self.get(name)

    # -- read --------------------------------------------------------------------------------
    def local_dir(self, name: str) -> Path:
        folder = job_dir(self._root, name)
        if not (folder / "record.json").is_file():
            raise NotFoundError(f"job {name!r} not found: list jobs with %aml job list")
        return folder

    def _status(self, name: str) -> dict:
        return read_status(self.local_dir(name))

    def _record(self, name: str, folder: Path) -> tuple[dict, Any | None]:
        mtime = (folder / "record.json").stat().st_mtime_ns
        hit = self._cache.get(name)
        if hit is not None and hit[0] == mtime:
            return hit[1], hit[2]
        record = read_record(folder)
        self._cache[name] = (mtime, record, None)
        return record, None

    def _entity(self, name: str, folder: Path, record: dict, status: dict) -> Any:
        from ...spec.jobs import spec_to_job

        hit = self._cache.get(name)
        entity = hit[2] if hit else None
        if entity is None:
            spec = dict(record["spec"])
            if spec.get("code"):  # the snapshot stays when the original folder goes
                spec["code"] = str(folder / "code")
            if spec.get("type") == "sweep" and spec.get("trial", {}).get("code"):
                spec["trial"] = {**spec["trial"], "code": str(folder / "code")}
            entity = spec_to_job(spec, record["meta"].get("base_path") or folder)
            entity.name = name
            entity.parent_job_name = record["meta"].get("parent_job_name")
            self._cache[name] = (self._cache[name][0], record, entity)
        meta = record["meta"]
        entity._status = status.get("status")
        modified = status.get("end_time") or (status.get("history") or [[None, meta["created_at"]]])[-1][1]
        entity._creation_context = self._ws.system_data(
            {"created_by": meta.get("created_by"), "created_at": meta.get("created_at"), "modified_at": modified})
        props = entity.properties if entity.properties is not None else {}
        for key, value in (
            ("StartTimeUtc", status.get("start_time")), ("EndTimeUtc", status.get("end_time")),
            ("error", status.get("error")), ("exit_code", status.get("exit_code")),
            ("notices", "\n".join(status.get("notices") or []) or None), ("compute", meta.get("compute")),
        ):
            if value is not None:
                props[key] = str(value)
            else:
                props.pop(key, None)
        # Properties a job gains after submit (a sweep's results, a trial's parameters and early
        # termination: sweep/controller.py, sweep/trials.py).
        for key, value in {**(meta.get("properties") or {}), **(status.get("properties") or {})}.items():
            props[key] = str(value)
        entity.properties = props
        entity.error = status.get("error")  # a failed job's reason and log tail (the magics show it)
        return entity

    def get(self, name: str, **_: Any) -> Any:
        folder = self.local_dir(name)
        record, _entity = self._record(name, folder)
        return self._entity(name, folder, record, read_status(folder))

    def list(self, parent_job_name: str | None = None, **_: Any) -> list:
        """Top-level jobs, newest first; with parent_job_name, that job's children."""
        root = jobs_root(self._root)
        found = []
        for entry in os.scandir(root) if root.is_dir() else ():
            if entry.name.startswith(".") or not os.path.isfile(os.path.join(entry.path, "record.json")):
                continue
            folder = Path(entry.path)
            record, _entity = self._record(entry.name, folder)
            if record["meta"].get("parent_job_name") != parent_job_name:
                continue
            found.append((record["meta"].get("created_at", ""), entry.name, folder, record))
        found.sort(reverse=True)
        return [self._entity(name, folder, record, read_status(folder)) for _, name, folder, record in found]

    # -- logs and metrics ----------------------------------------------------------------------
    def read_log(self, name: str, offset: int = 0) -> tuple[str, int]:
        """Text appended to user_logs/std_log.txt since `offset` (bytes), and the new offset.
        A multi-byte character cut at the end waits for the next call."""
        path = self.local_dir(name) / "user_logs" / "std_log.txt"
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            return "", offset
        text = data.decode("utf-8", errors="ignore")
        keep = len(data)
        for cut in range(1, min(4, len(data)) + 1):  # drop an incomplete UTF-8 tail
            byte = data[-cut]
            if byte & 0xC0 == 0xC0:  # a lead byte: is its sequence complete?
                need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
                if need > cut:
                    keep = len(data) - cut
                    text = data[:keep].decode("utf-8", errors="replace")
                break
            if byte < 0x80:
                break
        return text, offset + keep

    def metrics(self, name: str) -> dict:
        """{metric: [(step, timestamp_ms, value)]} logged by the job so far."""
        from ..tracking import MetricsReader

        self.local_dir(name)
        return MetricsReader(self._root, name).read_new()

    def stream(self, name: str, *, out: Any = None, poll: float = 0.2, **_: Any) -> None:
        """Print the log as it grows until the job ends, then the summary (like MLClient's)."""
        out = out or sys.stdout
        self.local_dir(name)
        out.write(f"RunId: {name}\nWeb View: None\n\nStreaming user_logs/std_log.txt\n" + "=" * 31 + "\n\n")
        offset, shown_notices = 0, 0
        while True:
            status = self._status(name)
            notices = status.get("notices") or []
            for line in notices[shown_notices:]:
                out.write(f"[amlmagic] {line}\n")
            shown_notices = len(notices)
            text, offset = self.read_log(name, offset)
            if text:
                out.write(text)
                getattr(out, "flush", lambda: None)()
            if status["status"] in TERMINAL:
                text, offset = self.read_log(name, offset)
                out.write(text)
                break
            time.sleep(poll)
        out.write(f"\nExecution Summary\n=================\nRunId: {name}\nWeb View: None\nStatus: {status['status']}\n")
        getattr(out, "flush", lambda: None)()
        if status["status"] == "Failed":
            first = (status.get("error") or "see the log above").splitlines()[0]
            raise BackendError(f"job {name} failed: {first}")

    def wait(self, name: str, timeout: float | None = None) -> Any:
        """Block until the job ends (or `timeout` seconds pass); returns the job."""
        folder = self.local_dir(name)
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.005
        while read_status(folder)["status"] not in TERMINAL:
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)
        return self.get(name)

    # -- control -----------------------------------------------------------------------------
    def begin_cancel(self, name: str, **_: Any) -> CancelPoller:
        """Stop the job's whole process tree; it ends Canceled (at once if its runner is gone)."""
        import signal

        folder = self.local_dir(name)
        status = read_status(folder)
        if status["status"] not in TERMINAL:
            status = update_status(folder, "CancelRequested")
            pid = status.get("pid")
            if process_alive(pid, status.get("pid_start")):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            else:  # the runner is gone: stop what it left running, then end the job
                from ..jobs.runner import kill_tree

                child = status.get("child_pid")
                if child and process_alive(child, None):
                    kill_tree(child, signal.SIGKILL)
                update_status(folder, "Canceled")
                for child in self.list(parent_job_name=name):  # a dead sweep controller's trials
                    if child.status not in TERMINAL:
                        self.begin_cancel(child.name)
        return CancelPoller(self, name)

    def cancel(self, name: str, **kwargs: Any) -> None:
        self.begin_cancel(name, **kwargs).wait()

    def download(self, name: str, download_path: str | os.PathLike = ".", output_name: str | None = None,
                 all: bool = False, **_: Any) -> Path:
        """Like MLClient's: the default output to <path>/artifacts/, a named output to
        <path>/named-outputs/<name>/; `all` downloads both."""
        folder = self.local_dir(name)
        target = Path(download_path).expanduser().resolve()
        plan_outputs = (read_record(folder)["spec"].get("outputs") or {})
        wanted = list(plan_outputs) if all else [output_name] if output_name not in (None, "default", "artifacts") else []
        if all or output_name in (None, "default", "artifacts"):
            self._copy(folder / "artifacts", target / "artifacts")
            self._copy(folder / "user_logs", target / "artifacts" / "user_logs")
        for out in wanted:
            if out not in plan_outputs:
                raise NotFoundError(f"job {name} has no output {out!r}: outputs are {', '.join(plan_outputs) or 'none'}")
            self._copy(Path(self._output_folder(folder, out)), target / "named-outputs" / out)
        return target

    @staticmethod
    def _output_folder(folder: Path, output: str) -> str:
        import json

        plan = json.loads((folder / "plan.json").read_text())
        return plan["outputs"][output]["folder"]

    @staticmethod
    def _copy(source: Path, target: Path) -> None:
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
