"""Sweep jobs run locally with Azure ML's rules (../shared/azureml-semantics.md, "Sweep jobs").

- `search_space`: parse the YAML search space, map unit numbers to values (inverse CDFs).
- `sampling`: random / sobol / grid / bayesian samplers: `make_sampler(spec, state=None)`.
- `policies`: bandit / median stopping / truncation selection: `make_policy(early_termination)`.
- `validation`: `validate_sweep(spec)` at submit, `sweep_defaults(spec)` with limits filled in.
- `controller`: `submit_sweep`, `resume_sweep`; the detached process that runs the trials.
- `trials`: a trial's name, spec, AZUREML_SWEEP_ variables, thread share, early termination.
- `results`: the best trial, the sweep's Azure-style properties, its final status.

Nothing heavy is imported here; optuna and scipy load only when a sampler needs them.
"""

from ..jobs.revival import register_reviver


def _relaunch(folder):
    from .controller import launch_controller

    return launch_controller(folder)


# A sweep whose controller died gets a new one when its status is read (jobs/state.py).
register_reviver("sweep", _relaunch)

__all__: list[str] = []
