"""deploy.sh and README.md of an export: `az ml ... create -f ...` in dependency order, the
workspace given once as variables, and the `%aml` lines that do the same in a notebook.

deploy.sh has two parts, so a CI/CD pipeline can put a human sign-off between them (`ci.py`):
`bash deploy.sh train` (assets, jobs, models registered from their outputs) and
`bash deploy.sh deploy` (endpoints, deployments, traffic); `bash deploy.sh` runs both, in order.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from .batch import default_deployments
from .build import PLACEHOLDER_COMPUTE, Exported
from .schedules import job_reference

__all__ = ["Step", "PARTS", "DEPLOY_NOUNS", "plan_steps", "secrets_by_part", "render_deploy_sh", "render_readme", "aml_line"]

_NOUNS = {"datastore": "datastore", "compute": "compute", "environment": "environment", "data": "data",
          "component": "component",
          "job": "job", "model": "model", "online-endpoint": "online-endpoint",
          "online-deployment": "online-deployment", "schedule": "schedule", "batch-endpoint": "batch-endpoint",
          "batch-deployment": "batch-deployment"}

PARTS = ("train", "deploy")
# What the deployment part creates; everything else is training (a model is registered from a
# job's output there, where the job's new name is known). Nothing of the training part uses these,
# so running the parts one after the other does what the whole script does.
DEPLOY_NOUNS = frozenset({"online-endpoint", "online-deployment", "batch-endpoint", "batch-deployment",
                          "batch-invocation"})


@dataclass
class Step:
    noun: str
    verb: str
    args: list[str] = field(default_factory=list)  # shell words; may hold "$VAR" references
    capture: str | None = None  # the shell variable that receives the created job's name
    comment: str = ""

    @property
    def part(self) -> str:
        return "deploy" if self.noun in DEPLOY_NOUNS else "train"


def plan_steps(exported: list[tuple[Exported, str]]) -> list[Step]:
    """`exported` is (item, YAML path relative to the export folder), already in deploy order
    (`references.deploy_order`: a job before what reads its outputs)."""
    steps: list[Step] = []
    job_vars: dict[str, str] = {}
    streamed: set[str] = set()
    traffic: list[Step] = []
    defaults = default_deployments([out.item for out, _ in exported])  # batch: created with --set-default
    invocations = 0
    for out, path in exported:
        kind = out.item.kind
        step = Step(_NOUNS.get(kind, kind), "create", ["-f", path], comment=out.item.line)
        if kind == "job":
            step.capture = f"JOB_{len(job_vars) + 1}"
            job_vars[out.item.entity.name] = step.capture
        elif kind == "batch-invocation":  # the job it starts is named by Azure: captured as a job's is
            invocations += 1
            step = Step("batch-endpoint", "invoke", list(out.args), capture=f"BATCH_JOB_{invocations}",
                        comment=out.item.line)
        elif kind == "batch-deployment" and defaults.get(out.item.entity.endpoint_name) == out.item.entity.name:
            step.args.append("--set-default")
        for link in out.links:  # a model path or job input that is an exported job's output
            var = job_vars.get(link.job)
            if var is None:  # only after deploy_order met a cycle (its README note says so)
                continue
            if var not in streamed:  # reading a job's output needs the job to have finished
                steps.append(Step("job", "stream", ["-n", f"${var}"], comment="wait for the job to finish"))
                streamed.add(var)
            step.args += ["--set", f"{link.set_key}=azureml://jobs/${var}/{link.suffix}"]
        for key, value in out.sets:
            step.args += ["--set", f"{key}={value}"]
        reference = job_reference(out.spec) if kind == "schedule" else None
        if reference and reference[1] in job_vars:  # a schedule of a job deploy.sh submits again
            step.args += ["--set", f"{reference[0]}=azureml:${job_vars[reference[1]]}"]
        steps.append(step)
        if kind == "schedule" and getattr(out.item.entity, "is_enabled", True) is False:
            steps.append(Step("schedule", "disable", ["-n", out.item.entity.name], comment="it was disabled"))
        if kind == "online-endpoint":
            entity = out.item.entity
            for flag, split in (("--traffic", getattr(entity, "traffic", None)),
                                ("--mirror-traffic", getattr(entity, "mirror_traffic", None))):
                if split:
                    pairs = " ".join(f"{name}={int(percent)}" for name, percent in split.items())
                    traffic.append(Step("online-endpoint", "update", ["-n", entity.name, flag, pairs],
                                        comment="final traffic"))
    return steps + traffic


_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _word(arg: str) -> str:
    """Quote a shell word so that only `$NAME` references expand (never `$(...)` or backticks)."""
    parts = _VARIABLE.split(arg)  # literal, name, literal, name, ..., literal
    if len(parts) == 1:
        return shlex.quote(arg)
    literals = parts[0::2]
    if not any(ch in lit for lit in literals for ch in '$`"\\!'):
        return '"' + "".join(p if i % 2 == 0 else f"${{{p}}}" for i, p in enumerate(parts)) + '"'
    return "".join((shlex.quote(p) if p else "") if i % 2 == 0 else f'"${{{p}}}"' for i, p in enumerate(parts))


def _uses(step: Step, name: str) -> bool:
    return any(name in _VARIABLE.findall(arg) for arg in step.args)


def secrets_by_part(steps: list[Step], secrets: list[str]) -> dict[str, list[str]]:
    """The secrets each part reads (a secret no step names goes with training)."""
    return {part: [n for n in secrets if any(_uses(s, n) for s in steps if s.part == part)
                   or (part == "train" and not any(_uses(s, n) for s in steps))]
            for part in PARTS}


def render_deploy_sh(steps: list[Step], variables: dict[str, str], secrets: list[str]) -> str:
    lines = [
        "#!/usr/bin/env bash",
        "# Re-creates on Azure ML what an amlmagic notebook session created, in dependency order:",
        "# datastores, computes, environments, data, jobs, models, endpoints, deployments, traffic,",
        "# batch endpoints, batch deployments, batch invocations,",
        "# except that each thing comes after what it uses (a job after the model it reads).",
        "# Set the workspace below (or export the variables before running), then: bash deploy.sh",
        "# Two parts, for a pipeline with an approval between them: bash deploy.sh train (assets, jobs,",
        "# models from their outputs), then bash deploy.sh deploy (endpoints, deployments, traffic).",
        "set -euo pipefail",
        'cd "$(dirname "$0")"',
        'PART="${1:-all}"',
        'case "$PART" in',
        "  all|train|deploy) ;;",
        '  *) echo "usage: bash deploy.sh [train|deploy]  (no argument: both, train first)" >&2; exit 2 ;;',
        "esac",
        "",
        'SUBSCRIPTION="${SUBSCRIPTION:-<subscription-id>}"',
        'RESOURCE_GROUP="${RESOURCE_GROUP:-<resource-group>}"',
        'WORKSPACE="${WORKSPACE:-<workspace-name>}"',
    ]
    for name, (default, why) in variables.items():
        lines.append(f'{name}="${{{name}:-{default}}}"  # {why}')
    # Secrets come from the environment; each part checks those it uses before anything runs.
    for part, needed in secrets_by_part(steps, secrets).items():
        if needed:
            other = "deploy" if part == "train" else "train"
            lines.append(f'if [ "$PART" != {other} ]; then')
            lines += [f'  {n}="${{{n}:?set {n}: a secret the export leaves out}}"' for n in needed]
            lines.append("fi")
    lines += ['WS=(--subscription "$SUBSCRIPTION" --resource-group "$RESOURCE_GROUP" --workspace-name "$WORKSPACE")', ""]
    # The parts' lines are not indented: each `az ml` line reads as it would in a flat script.
    for part in PARTS:
        lines.append(f"{part}_part() {{")
        body = [s for s in steps if s.part == part]
        if not body:
            lines.append(f'echo "{part}: nothing to do"')
        for step in body:
            lines += _step_lines(step)
        lines += ["}", ""]
    lines += ['if [ "$PART" != deploy ]; then train_part; fi', 'if [ "$PART" != train ]; then deploy_part; fi']
    return "\n".join(lines) + "\n"


def _step_lines(step: Step) -> list[str]:
    command = " ".join(["az", "ml", step.noun, step.verb, *(_word(a) for a in step.args)])
    lines = [f"# {_safe_comment(step.comment)}"] if step.comment else []
    if step.capture:
        lines.append(f'{step.capture}=$({command} --query name -o tsv "${{WS[@]}}")')
        lines.append(f'echo "submitted job ${step.capture}"')
    else:
        lines.append(f'{command} "${{WS[@]}}"')
    return lines


def _safe_comment(line: str) -> str:
    """The %aml line that created the thing, without any --set value (it could hold a secret)."""
    first = line.splitlines()[0]
    return re.sub(r"(--set\s+)(\S+?=)\S+", r"\1\2...", first)


def aml_line(step: Step, values: dict[str, str]) -> str:
    """The `%aml` line of a step, shell variables replaced by `values`."""
    words = []
    for arg in step.args:
        for name, value in sorted(values.items(), key=lambda kv: -len(kv[0])):
            arg = arg.replace(f"${name}", value)
        words.append(shlex.quote(arg))
    return " ".join(["%aml", step.noun, step.verb, *words])


def render_readme(steps: list[Step], files: list[str], backend: str, notes: list[str], exported_at: str) -> str:
    listing = "\n".join(f"- `{f}`" for f in files)
    # IPython expands `{expr}` in a magic line: `JOB_1 = %aml job create ...` keeps the job, and
    # `{JOB_1.name}` passes its name on where deploy.sh passes $JOB_1.
    names = {s.capture: f"{{{s.capture}.name}}" for s in steps if s.capture}
    local = "\n".join((f"{s.capture} = " if s.capture else "") + aml_line(s, {"COMPUTE": "local", **names})
                      for s in steps)
    extra = "".join(f"- {n}\n" for n in notes)
    return f"""# amlmagic export

Exported {exported_at} from a `{backend}` session: everything the notebook session created or
submitted through `%aml` magics and widgets, as it stood at the end (things deleted later are
left out). Each file is CLI v2 YAML with its `$schema` line; the files it needs sit beside it.

Only this kernel's trail is exported: a new kernel starts with an empty trail, so what an earlier
kernel created is not here (export before restarting).

## Deploy to Azure ML

1. Set `SUBSCRIPTION`, `RESOURCE_GROUP`, `WORKSPACE` at the top of `deploy.sh` (or export them).
2. Jobs that ran on the `local` compute use `$COMPUTE` (default `{PLACEHOLDER_COMPUTE}`): set it to a
   cluster of the workspace.
3. `bash deploy.sh` (needs the Azure CLI with the `ml` extension, `az login`). It has two parts:
   `bash deploy.sh train` (assets, jobs, models registered from their outputs) and
   `bash deploy.sh deploy` (endpoints, deployments, traffic); one after the other they do what
   `bash deploy.sh` does, so a pipeline can wait for an approval between them.

Each thing comes after what it uses. Azure names jobs itself: deploy.sh captures each job's name
(`--query name -o tsv`); a model registered from a job's output, or a job that reads it, waits
for that job (`az ml job stream`) and gets its new name through `--set`. No key, token or
connection string is written: secrets are left out and deploy.sh reads them from the environment.
Online endpoint names must be unique in their Azure region: rename one in its YAML (and its
deployments' `endpoint_name`) if taken.

{extra}
## Re-run locally

In a notebook with `%load_ext amlmagic`, from this folder:

```
{local}
```
(`JOB_n = %aml job create ...` keeps the submitted job and IPython puts its name where
`{{JOB_n.name}}` stands; a secret left as `$NAME` is read from the Python variable `NAME`.)

## Files

{listing}
"""
