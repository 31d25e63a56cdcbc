"""Batch endpoints run locally with Azure ML's contract (../shared/azureml-semantics-2.md section 2;
docs/batch.md): `records` (endpoint and deployment records, snapshots), `inputs` (the invocation's
input and its mini-batches), `submit` (the job and its `batchscoring` step), `driver` (the
detached process running a job), `scoring` (its loop: retries, timeouts, error threshold,
output), `pool` and `worker` (the worker processes calling init() and run()), `output`
(append_row), `mlflow_scorer` (no-code scoring of MLflow models), `journal` (what a revived driver
goes on from), `invocation` (what `invoke`
takes: deployment, input, overrides, output)."""

from ..jobs.revival import register_reviver


def _relaunch(folder):
    from ..jobs.state import launch_driver

    return launch_driver(folder, "amlmagic.local.batch.driver")


def _relaunch_from_step(folder):
    """The batchscoring step has no driver of its own: its job's is started again."""
    from ..jobs.state import job_dir, read_record

    parent = read_record(folder)["meta"]["parent_job_name"]
    return _relaunch(job_dir(folder.parent.parent, parent))


# A batch job whose driver died gets a new one when its status (or its step's) is read
# (jobs/state.py); the new driver goes on from the job's journal (journal.py).
register_reviver("batch", _relaunch)
register_reviver("batchscoring", _relaunch_from_step)

__all__: list[str] = []
