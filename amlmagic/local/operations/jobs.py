"""`client.jobs`: command jobs run on this machine by the detached runner (../jobs/).

MLClient's interface: create_or_update, get, list(parent_job_name=None), stream, begin_cancel,
download; extras (amlmagic/client.py): wait, read_log, metrics_reader, code_source, code_hash; local-only: cancel,
local_dir, log_names (a distributed job's per-process logs).
Entities are azure-ai-ml's, rebuilt from the stored CLI v2 spec (cached by the record's mtime)
with the true status read from disk on every call.
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from ...errors import BackendError, DamagedStateError, NotFoundError, ValidationError
from ...rules import SINGLE_PROCESS_LOG, TERMINAL_STATUSES, stream_log
from ..jobs.cancel import cancel_job
from ..jobs.plan import submit_plan
from ..jobs.state import job_dir, jobs_root, read_record, read_status
from ..osutil import read_json
from ..pollers import WaitingPoller
from ..snapshots import snapshot_hash
from ..store import warn_damaged
from ..uris import is_remote_uri
from ..workspace import LocalWorkspace

__all__ = ["JobOperations"]


def _fresh_copy(template: Any) -> Any:
    """A new entity like `template`, whose top-level dicts and lists (tags, properties,
    environment_variables...) are its own. azure-ai-ml's input and output objects cannot be
    deep-copied (their attribute dicts raise KeyError for `__deepcopy__`), so those stay shared
    with the template: nothing here ever changes them."""
    entity = copy.copy(template)
    state = vars(entity)
    for key, value in state.items():
        if type(value) in (dict, list):
            state[key] = copy.copy(value)
    return entity


class JobOperations:
    def __init__(self, workspace: LocalWorkspace, client: Any = None):
        self._ws = workspace
        self._client = client
        self._root = workspace.root
        self._cache: dict[str, tuple[int, list]] = {}  # name -> (record mtime, [record, template])
        self._logs: dict[str, list[str]] = {}  # name -> its per-process log names (never change)

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

    def _record(self, name: str, folder: Path) -> dict:
        return self._cached(name, folder)[0]

    def _cached(self, name: str, folder: Path) -> list:
        """[record, template entity or None], kept while record.json is unchanged (it never is
        once written: the spec is immutable)."""
        mtime = (folder / "record.json").stat().st_mtime_ns
        hit = self._cache.get(name)
        if hit is None or hit[0] != mtime:
            hit = self._cache[name] = (mtime, [read_record(folder), None])
        return hit[1]

    def _template(self, name: str, folder: Path) -> Any:
        """The entity `load_job` makes of the job's spec, built once (~10-25 ms each): `get` and
        `list` hand out copies of it, never it."""
        from ...spec.jobs import spec_to_job

        cached = self._cached(name, folder)
        if cached[1] is None:
            record = cached[0]
            spec = dict(record["spec"])
            if spec.get("code"):  # the snapshot stays when the original folder goes
                spec["code"] = str(folder / "code")
            if spec.get("type") == "sweep" and spec.get("trial", {}).get("code"):
                spec["trial"] = {**spec["trial"], "code": str(folder / "code")}
            entity = spec_to_job(spec, record["meta"].get("base_path") or folder)
            entity.name = name
            entity.parent_job_name = record["meta"].get("parent_job_name")
            cached[1] = entity
        return cached[1]

    def _entity(self, name: str, folder: Path, record: dict, status: dict) -> Any:
        """A new entity each call, as MLClient returns: a held job never changes under its user."""
        entity = _fresh_copy(self._template(name, folder))
        meta = record["meta"]
        entity._status = status.get("status")
        modified = status.get("end_time") or (status.get("history") or [[None, meta["created_at"]]])[-1][1]
        entity._creation_context = self._ws.system_data(
            {"created_by": meta.get("created_by"), "created_at": meta.get("created_at"), "modified_at": modified})
        props = dict(entity.properties or {})
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
        return self._entity(name, folder, self._record(name, folder), read_status(folder))

    def list(self, parent_job_name: str | None = None, **_: Any) -> list:
        """Top-level jobs, newest first; with parent_job_name, that job's children."""
        root = jobs_root(self._root)
        found = []
        for entry in os.scandir(root) if root.is_dir() else ():
            if entry.name.startswith(".") or not os.path.isfile(os.path.join(entry.path, "record.json")):
                continue
            folder = Path(entry.path)
            try:
                record = self._record(entry.name, folder)
            except DamagedStateError as exc:  # the healthy jobs are still listed
                warn_damaged(exc)
                continue
            if record["meta"].get("parent_job_name") != parent_job_name:
                continue
            found.append((record["meta"].get("created_at", ""), entry.name, folder, record))
        found.sort(reverse=True)
        jobs = []
        for _, name, folder, record in found:
            try:
                jobs.append(self._entity(name, folder, record, read_status(folder)))
            except DamagedStateError as exc:
                warn_damaged(exc)
        return jobs

    # -- logs and metrics ----------------------------------------------------------------------
    def log_names(self, name: str) -> list[str]:
        """The job's per-process logs in user_logs/ in rank order (one, std_log.txt, unless the
        job is distributed)."""
        hit = self._logs.get(name)
        if hit is None:
            try:
                plan = read_json(self.local_dir(name) / "plan.json")
            except FileNotFoundError:  # a sweep has no plan: its controller writes std_log.txt
                plan = {}
            hit = self._logs[name] = list(plan.get("logs") or [SINGLE_PROCESS_LOG])
        return hit

    def stream_log_name(self, name: str) -> str:
        """The log `%aml job stream` follows: rank 0's, as `az ml job stream` (rules/logs.py)."""
        return stream_log(self.log_names(name))

    def read_log(self, name: str, offset: int = 0, log: str | None = None) -> tuple[str, int]:
        """Text appended to the job's log since `offset` (bytes), and the new offset: the log
        the stream follows (user_logs/std_log.txt, or rank 0's of a distributed job), or `log`,
        one of `log_names`. A multi-byte character cut at the end waits for the next call."""
        if log is not None and log not in self.log_names(name):
            raise NotFoundError(f"job {name} has no log {log!r}: its logs are {', '.join(self.log_names(name))}")
        path = self.local_dir(name) / "user_logs" / (log or self.stream_log_name(name))
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

    def metrics_reader(self, name: str) -> Any:
        """The job's metrics read incrementally from its MLflow run (which may not exist yet);
        NotFoundError for an unknown job."""
        from ..tracking import MetricsReader

        return MetricsReader(self._root, self._original(name))

    def _original(self, name: str) -> str:
        """The job whose results a reused pipeline step shows (`azureml.reusedrunid`): metrics and
        downloads follow it, as azure-ai-ml's download does; else the job itself."""
        return read_record(self.local_dir(name))["meta"].get("reused_from") or name

    def code_source(self, name: str) -> Path | None:
        """The folder the job's `code:` was submitted from (a sweep: its trial's), resolved
        against the folder its YAML came from, while it still exists; None otherwise (no code,
        a registered code asset, a folder since removed). NotFoundError for an unknown job."""
        record = read_record(self.local_dir(name))
        spec, meta = record.get("spec") or {}, record.get("meta") or {}
        code = (spec.get("trial") or {}).get("code") if spec.get("type") == "sweep" else spec.get("code")
        if not code:
            return None
        text = str(code)
        if text.startswith("file://"):
            text = text[len("file://"):]
        if text.startswith("azureml:") or is_remote_uri(text):
            return None
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = Path(meta.get("base_path") or os.getcwd()) / path
        path = path.resolve()
        return path if path.exists() else None

    def code_hash(self, name: str) -> str | None:
        """The content hash of the job's code snapshot (azure-ai-ml's `hash_sha256` of the same
        files: local/snapshots.py); None for a job without code."""
        folder = self.local_dir(name)
        spec = read_record(folder).get("spec") or {}
        code = (spec.get("trial") or {}).get("code") if spec.get("type") == "sweep" else spec.get("code")
        return snapshot_hash(folder / "code") if code else None

    def stream(self, name: str, *, out: Any = None, poll: float = 0.2, **_: Any) -> None:
        """Print the log as it grows until the job ends, then the summary (like MLClient's)."""
        out = out or sys.stdout
        self.local_dir(name)
        header = f"Streaming user_logs/{self.stream_log_name(name)}"
        out.write(f"RunId: {name}\nWeb View: None\n\n{header}\n" + "=" * len(header) + "\n\n")
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
            if status["status"] in TERMINAL_STATUSES:
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
        while read_status(folder)["status"] not in TERMINAL_STATUSES:
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)
        return self.get(name)

    # -- control -----------------------------------------------------------------------------
    def begin_cancel(self, name: str, **_: Any) -> WaitingPoller:
        """Stop the job's whole process tree; it ends Canceled (at once if its runner is gone)."""
        self.local_dir(name)  # NotFoundError for an unknown job
        cancel_job(self._root, name)
        return WaitingPoller(lambda: self._status(name)["status"] in TERMINAL_STATUSES,
                             lambda timeout: self.wait(name, timeout))

    def cancel(self, name: str, **kwargs: Any) -> None:
        self.begin_cancel(name, **kwargs).wait()

    def download(self, name: str, download_path: str | os.PathLike = ".", output_name: str | None = None,
                 all: bool = False, **_: Any) -> Path:
        """Like MLClient's: the default output to <path>/artifacts/, a named output to
        <path>/named-outputs/<name>/; `all` downloads both. A reused pipeline step downloads
        what its original wrote."""
        folder = self.local_dir(self._original(name))
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
        return read_json(folder / "plan.json")["outputs"][output]["folder"]

    @staticmethod
    def _copy(source: Path, target: Path) -> None:
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
