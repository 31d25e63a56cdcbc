"""The MNIST notebook's cells, part 3: export, summary and clean-up (section 9 on)."""

from notebook_cells import code, md

__all__ = ["OPERATE_CELLS"]

OPERATE_CELLS = [
    md("""
## 9. Export to CLI v2 YAML

`%aml export` writes what this session created, in its final state, as CLI v2 YAML files with the
code and data they refer to, plus `deploy.sh` that recreates it all with `az ml`. Commit that
folder and run it from CI. *MLOps levels 1-3: training and deployment become files in source
control that a pipeline replays; the notebook is no longer the only record.*
"""),
    code("""
exported = %aml export --dir mnist-export
exported
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
print(f"exported {len(exported.files)} files to {exported.folder}")
""", "summary"),
    md("""
## Clean up

An online endpoint keeps running (and, on Azure, billing) until deleted. Deleting it also deletes
its deployments; the registered models, data and jobs stay in the workspace.
"""),
    code("""
%aml online-endpoint delete -n {ENDPOINT} -y
"""),
]
