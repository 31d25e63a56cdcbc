"""Pipeline jobs run locally with Azure ML's rules (../shared/azureml-semantics-2.md, section 1;
docs/pipelines.md): `graph` checks the whole graph at submit, `steps` makes each step a child job,
`reuse` decides and explains step reuse, `controller` is the detached process that runs them.
"""

from ..jobs.revival import register_reviver


def _relaunch(folder):
    from .controller import launch_controller

    return launch_controller(folder)


# A pipeline whose controller died gets a new one when its status is read (jobs/state.py); the
# new controller adopts the steps the old one started (controller.PipelineController._adopt).
register_reviver("pipeline", _relaunch)

__all__: list[str] = []
