"""`client.jobs` on Azure: MLClient's JobOperations, errors translated, plus the interface's extras.

    client.jobs.wait("train-1")                 # polls get() with backoff until a terminal status
    text, offset = client.jobs.read_log("train-1", offset)   # user_logs/std_log.txt, as az ml job stream
    client.jobs.metrics_reader("train-1").read_new()          # the workspace's MLflow tracking URI
    client.jobs.read_log("batchjob-1", log=PROGRESS_LOG)      # a batch job's logs: its batchscoring step's
"""

from __future__ import annotations

import codecs
import time
from pathlib import Path
from typing import Any

from ..errors import BackendError, NotFoundError
from ..rules import SINGLE_PROCESS_LOG
from ..rules.batch import PROGRESS_LOG, SCORING_STEP
from .errors import translating
from .metrics import AzureMetricsReader
from .steps import stream_step
from .wrap import TranslatedOperations, translate_result

__all__ = ["AzureJobOperations", "STD_LOG"]

STD_LOG = "user_logs/std_log.txt"
_MAX_POLL_SECONDS = 30.0


class AzureJobOperations(TranslatedOperations):
    def __init__(self, inner: Any, client: Any):
        super().__init__(inner)
        self._client = client  # the AzureMLClient: its compute default, poll interval and MLClient
        self._scoring_steps: dict[str, str] = {}  # batch job -> its batchscoring step's run id, once seen

    def create_or_update(self, job: Any, **kwargs: Any) -> Any:
        """MLClient's create_or_update; a job without `compute:` gets the session's default
        (`compute.use`), by the rule in amlmagic.rules.compute_for."""
        from ..rules import compute_for

        default = self._client.compute.get_default()
        if default and hasattr(job, "compute") and not getattr(job, "compute", None):
            job.compute = compute_for(None, default)
        with translating():
            return translate_result(self.inner.create_or_update(job, **kwargs))

    def stream(self, name: str) -> None:
        """MLClient's stream; a pipeline's step, which MLClient refuses to stream, from its log in
        run history (steps.py), as the local backend streams a step."""
        from azure.ai.ml.exceptions import PipelineChildJobError

        try:
            with translating():
                return self.inner.stream(name)
        except BackendError as exc:
            if not isinstance(exc.__cause__, PipelineChildJobError):
                raise
        stream_step(self, self.get(name), self._client.poll_interval)

    # -- extras ---------------------------------------------------------------------------------
    def wait(self, name: str, timeout: float | None = None) -> Any:
        """Poll get() until the job is in a terminal status or `timeout` seconds pass; the job.
        The delay starts at the client's poll interval and grows by half up to 30 s."""
        from ..rules import is_terminal

        deadline = None if timeout is None else time.monotonic() + timeout
        delay = self._client.poll_interval
        job = self.get(name)
        while not is_terminal(job):
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                time.sleep(min(delay, left))
            else:
                time.sleep(delay)
            delay = min(delay * 1.5, _MAX_POLL_SECONDS)
            job = self.get(name)
        return job

    def _log_files(self, name: str) -> dict:
        """The log files run history lists for the job, as {path: SAS URL}. A batch job's logs are
        its `batchscoring` step's (section 2.4: the step where logs and outputs live): a job with no
        user_logs/ of its own and such a step reads the step's."""
        with translating():
            log_files = self.inner._runs_operations.get_run_details(name).log_files or {}
            if any(n.startswith("user_logs/") for n in log_files):
                return log_files
            step = self._scoring_steps.get(name)
            if step is None:
                children = self.inner._runs_operations.get_run_children(name)
                step = next((c.name for c in children if c is not None and c.display_name == SCORING_STEP), None)
                if step is None:
                    return log_files
                self._scoring_steps[name] = step
            return self.inner._runs_operations.get_run_details(step).log_files or {}

    def log_names(self, name: str) -> list[str]:
        """The run's per-process logs in user_logs/, as run history lists them, by name; and a
        batch job's progress overview (`rules.batch.PROGRESS_LOG`) once its step has written it."""
        log_files = self._log_files(name)
        names = sorted(n[len("user_logs/"):] for n in log_files if n.startswith("user_logs/std_log")) or [
            SINGLE_PROCESS_LOG]
        return names + [PROGRESS_LOG] if PROGRESS_LOG in log_files else names

    def read_log(self, name: str, offset: int = 0, log: str | None = None) -> tuple[str, int]:
        """Text appended to the job's std_log since byte `offset`, and the new offset.

        As `az ml job stream` (azure-ai-ml's stream_logs_until_completion): run history's details
        of the run list its log files as SAS URLs; the streamable one is `user_logs/std_log.txt`
        (the first by name of Common Runtime's std_log files, else the legacy driver log). The
        whole file is read and cut at `offset`: a Range past the end is a 416 on blob storage.
        A multi-byte character cut at the end waits for the next call. `log` is one of
        `log_names`: a file in user_logs/, or PROGRESS_LOG (a path from the run's log root)."""
        from azure.ai.ml.operations._job_ops_helper import _get_sorted_filtered_logs

        log_files = self._log_files(name)
        with translating():
            if log is not None:
                path = log if log == PROGRESS_LOG else f"user_logs/{log}"
                if path not in log_files:
                    raise NotFoundError(f"job {name} has no log {log!r}: its logs are "
                                        f"{', '.join(self.log_names(name))}")
                names = [path]
            else:
                names = [STD_LOG] if STD_LOG in log_files else _get_sorted_filtered_logs(log_files, "command")
            if not names:
                return "", offset
            response = self.inner._requests_pipeline.get(log_files[names[0]])
            if response.status_code == 404:  # listed before its first write
                return "", offset
            response.raise_for_status()
            data = response.body()[offset:]
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        text = decoder.decode(data, final=False)
        pending = decoder.getstate()[0]  # the bytes of a character not complete yet
        return text, offset + len(data) - len(pending)

    def metrics_reader(self, name: str) -> AzureMetricsReader:
        """The job's metrics from the workspace's MLflow tracking server; NotFoundError for an
        unknown job."""
        job = self.get(name)
        return AzureMetricsReader(self._client.ml_client, name, job=job)

    def code_source(self, name: str) -> Path | None:
        """Nothing on this machine is known to hold a job's code on Azure (it was uploaded)."""
        self.get(name)
        return None

    def code_hash(self, name: str) -> str | None:
        """The `hash_sha256` azure-ai-ml recorded on the job's code asset when it uploaded it
        (`properties` of `codes/<name>/versions/<v>`); None for a job without code, or a code
        asset registered without one."""
        job = self.get(name)
        code = getattr(job.trial, "code", None) if job.type == "sweep" else getattr(job, "code", None)
        parts = str(code or "").split("/")
        if "codes" not in parts or parts.index("codes") + 3 > len(parts):  # an ARM id .../codes/<n>/versions/<v>
            return None
        at = parts.index("codes")
        with translating():
            asset = self._client.ml_client._code.get(parts[at + 1], parts[at + 3])
        return (asset.properties or {}).get("hash_sha256")
