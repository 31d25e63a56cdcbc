"""The MNIST notebook's cells, part 4: the model's lineage, a retraining schedule and the audit
trail (section 10)."""

from notebook_cells import code, md

__all__ = ["MLOPS_CELLS"]

MLOPS_CELLS = [
    md("""
## 10. Traceability and automation: lineage, a retraining schedule, the audit trail

**Lineage.** Where the deployed model came from and where it went: the sweep trial that
produced it, that job's code snapshot (by content hash), environment, data version and
parameters, and the online and batch deployments that serve it. Click a node for its details.
*MLOps level 3: from an endpoint back to the data, for any answer.*
"""),
    code("""
model_lineage = %aml lineage model -n mnist-cnn -v {blue_model.version}
model_lineage
"""),
    md("""
**A schedule** retrains on a calendar: `mnist/retrain-schedule.yml` runs the training pipeline
every Monday at 06:00 UTC (its `start_time` is past, so the first run is the next Monday; Azure
does not backfill). `--set create_job=azureml:<job>` schedules the pipeline job section 4b
submitted, with its inputs, as `az ml schedule create --set` does. Here the schedule is created,
triggered once by hand (`az ml schedule trigger`), and disabled, so that it fires nothing after
this notebook. Nothing changed since section 4b, so every step of the triggered pipeline is
reused. *MLOps level 4 starts here: retraining without anyone in the loop.*
"""),
    code("""
%aml schedule create -f mnist/retrain-schedule.yml --set create_job=azureml:{pipeline_job.name}
triggered = %aml schedule trigger -n mnist-weekly-retrain
%aml job stream -n {triggered.job_name}
retrain_job = %aml job show -n {triggered.job_name}
%aml schedule disable -n mnist-weekly-retrain
"""),
    md("""
**The audit trail.** Every change this notebook made to the workspace (through a magic, a widget
or Python), who made it and when, and what an update changed, in an append-only log; endpoint
keys never appear in it. *MLOps level 3: regulatory traceability of every asset.*
"""),
    code("""
activity = %aml activity --max-results 12
activity
"""),
]
