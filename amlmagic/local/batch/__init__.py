"""Batch endpoints run locally with Azure ML's contract (../shared/azureml-semantics-2.md section 2;
docs/batch.md): `records` (endpoint and deployment records, snapshots), `inputs` (the invocation's
input and its mini-batches), `submit` (the job and its `batchscoring` step), `driver` (the
detached process running a job), `scoring` (its loop: retries, timeouts, error threshold,
output), `pool` and `worker` (the worker processes calling init() and run()), `output`
(append_row), `mlflow_scorer` (no-code scoring of MLflow models), `invocation` (what `invoke`
takes: deployment, input, overrides, output)."""

__all__: list[str] = []
