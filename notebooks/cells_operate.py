"""The MNIST notebook's cells, part 5: export with a CI/CD workflow, the maturity report, summary
and clean-up (section 11 on)."""

from notebook_cells import code, md

__all__ = ["OPERATE_CELLS"]

OPERATE_CELLS = [
    md("""
## 11. Export to CLI v2 YAML, with a CI/CD workflow

`%aml export` writes what this session created, in its final state, as CLI v2 YAML files with the
code and data they refer to, plus `deploy.sh` that recreates it all with `az ml`
(`deploy.sh train`, then `deploy.sh deploy`). `--ci github` adds a GitHub Actions workflow that
logs in to Azure with OIDC (no secret in the files), runs the training part, and waits for a
person to approve the `production` environment before the deployment part. Commit that folder.
*MLOps levels 1-3: training and deployment become files in source control that CI replays, with
a human sign-off before production.*
"""),
    code("""
exported = %aml export --dir mnist-export --ci github
exported
"""),
    md("""
## 12. Where this workspace stands: the MLOps maturity report

`%aml mlops` checks the workspace (and, with `--dir`, the exported repository) practice by
practice against the five levels, with the evidence it found and the next step for each practice
missing.
"""),
    code("""
maturity = %aml mlops --dir mnist-export
maturity
"""),
    md("""
## Summary
"""),
    code("""
elapsed = time.perf_counter() - started
trial_text = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(best_params.items()))
print(f"MNIST lifecycle ({'fast: synthetic digits' if FAST else 'real MNIST'}), {elapsed:.0f} s")
print(f"training job {train_job.name}: {train_job.status}, test accuracy {last_values['test_accuracy']:.2%}")
print(f"sweep {sweep_job.name}: {sweep_job.status}, {len(trials)} trials, stopped early: {len(stopped_early)} {stopped_early}")
print(f"best trial {best_trial}: {trial_text}")
print(f"registered model mnist-cnn:{blue_model.version}: test accuracy {best_test_accuracy:.2%} "
      f"(through the endpoint: {endpoint_accuracy:.2%} of {len(test_set)} test images)")
print(f"endpoint {ENDPOINT} answered {invoke_answer['predictions']} for test digits {sample_digits}")
print(f"traffic blue=90 green=10, observed over {TRAFFIC_REQUESTS} requests: {traffic_observed}")
print(f"production data: green answered {traffic_observed.get('green', 0)} requests, {len(collected)} responses collected")
print(f"batch job {batch_job.name}: {len(batch_rows)} files scored, accuracy {batch_accuracy:.2%}")
print(f"lineage of mnist-cnn:{blue_model.version}: {len(model_lineage.nodes)} nodes, {len(model_lineage.edges)} edges")
print(f"schedule mnist-weekly-retrain: triggered {retrain_job.name} ({retrain_job.status}), then disabled")
print(f"audit trail: the {len(activity)} latest changes shown, newest {activity[0]['verb']} {activity[0]['kind']} {activity[0]['name']}")
print(f"exported {len(exported.files)} files to {exported.folder}")
print(f"MLOps maturity: level {maturity.level} ({maturity.level_name})")
""", "summary"),
    md("""
## Clean up

An online endpoint keeps running (and, on Azure, billing) until deleted. Deleting it also deletes
its deployments; the registered models, data and jobs stay in the workspace. A batch endpoint
costs nothing between jobs, and the retraining schedule is disabled: both stay, as does the
export.
"""),
    code("""
%aml online-endpoint delete -n {ENDPOINT} -y
"""),
]
