"""The `%aml` grammar: nouns, verbs and flags mirroring `az ml` (CLI v2), as plain tables.

A flag is `Flag(long, short, kind)`; kinds: `str`, `int`, `bool` (a switch), `multi` (repeatable,
e.g. `--set a=b --set c=d`, or several values after one flag like `--replay A B`).
Verbs marked `*` in help are amlmagic additions that `az ml` does not have.

The grammar owns dispatch: each verb names its handler, `"module:function"` in
`amlmagic.magics.commands`, a function `handler(ctx) -> result`; `handler_for` imports the module
on first use (so `%load_ext` stays cheap). A noun alone opens its widget (`WIDGETS`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Flag", "Verb", "NOUNS", "ALIASES", "WIDGETS", "canonical_noun", "handler_for", "resolve_handler"]


@dataclass(frozen=True)
class Flag:
    long: str
    short: str | None = None
    kind: str = "str"  # str | int | bool | multi
    help: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return self.long.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Verb:
    help: str
    flags: tuple[Flag, ...] = ()
    required: tuple[str, ...] = ()  # dests, at least one of each "a|b" group
    cell: bool = False  # takes a %%aml cell body
    ours: bool = False  # not in az ml
    positional: str | None = None  # dest that a bare word fills (e.g. `%aml help job`)
    handler: str = ""  # "module:function" in amlmagic.magics.commands


NAME = Flag("--name", "-n", help="name")
VERSION = Flag("--version", "-v", help="version")
FILE = Flag("--file", "-f", help="CLI v2 YAML file")
PATH = Flag("--path", "-p", help="local path or azureml:// URI")
TYPE = Flag("--type", "-t", help="asset type")
DESCRIPTION = Flag("--description", "-d", help="description")
SET = Flag("--set", None, "multi", help="override a YAML field: --set key=value")
LABEL = Flag("--label", "-l", help="label (latest)")
DOWNLOAD_PATH = Flag("--download-path", "-p", help="folder to download into")
YES = Flag("--yes", "-y", "bool", help="do not prompt")
EXPORT = Flag("--export", None, help="also write the resolved YAML to this file")
ENDPOINT = Flag("--endpoint-name", "-e", help="online endpoint name")
MAX_RESULTS = Flag("--max-results", "-r", "int", help="at most this many")
NO_WAIT = Flag("--no-wait", None, "bool", help="return once Azure accepted it, without waiting for it to finish")

_CREATE = dict(cell=True)
BATCH_ENDPOINT = Flag("--endpoint-name", "-e", help="batch endpoint name")

NOUNS: dict[str, dict[str, Verb]] = {
    "workspace": {
        "show": Verb("summarize the connection and asset counts", handler="workspace:workspace_show"),
    },
    "compute": {
        "create": Verb("create a local pool (a concurrency bound) or an Azure cluster",
                       (NAME, FILE, TYPE, Flag("--size", None), Flag("--min-instances", None, "int"),
                        Flag("--max-instances", None, "int"), Flag("--idle-time-before-scale-down", None, "int"),
                        DESCRIPTION, SET, EXPORT), ("name|file|cell",), **_CREATE, handler="compute:compute_create"),
        "show": Verb("show a compute target", (NAME,), ("name",), handler="compute:compute_show"),
        "list": Verb("list compute targets", (MAX_RESULTS,), handler="compute:compute_list"),
        "delete": Verb("delete a compute target", (NAME, YES, NO_WAIT), ("name",), handler="compute:compute_delete"),
        "use": Verb("make it the default compute of later jobs", (NAME,), ("name",), ours=True, handler="compute:compute_use"),
    },
    "datastore": {
        "create": Verb("register a datastore (locally: a folder)", (NAME, FILE, PATH, DESCRIPTION, SET, EXPORT),
                       ("name|file|cell",), **_CREATE, handler="assets:datastore_create"),
        "show": Verb("show a datastore", (NAME,), ("name",), handler="assets:datastore_show"),
        "list": Verb("list datastores", (MAX_RESULTS,), handler="assets:datastore_list"),
        "delete": Verb("unregister a datastore", (NAME, YES), ("name",), handler="assets:datastore_delete"),
    },
    "data": {
        "create": Verb("register a data asset version", (NAME, VERSION, FILE, PATH, TYPE, DESCRIPTION, SET, EXPORT),
                       ("name|file|cell",), **_CREATE, handler="assets:data_create"),
        "show": Verb("show a data asset version", (NAME, VERSION, LABEL), ("name",), handler="assets:data_show"),
        "list": Verb("list data assets (with -n: its versions)", (NAME, MAX_RESULTS), handler="assets:data_list"),
        "download": Verb("download a data asset version", (NAME, VERSION, LABEL, DOWNLOAD_PATH), ("name",), handler="assets:data_download"),
    },
    "environment": {
        "create": Verb("register an environment version (%%aml: the cell is a conda YAML or requirements.txt)",
                       (NAME, VERSION, FILE, Flag("--image", "-i"), Flag("--conda-file", "-c"),
                        Flag("--build-context", "-b"), Flag("--dockerfile-path", None), DESCRIPTION, SET, EXPORT),
                       ("name|file|cell",), **_CREATE, handler="assets:environment_create"),
        "show": Verb("show an environment version", (NAME, VERSION, LABEL), ("name",), handler="assets:environment_show"),
        "list": Verb("list environments (with -n: its versions)", (NAME, MAX_RESULTS), handler="assets:environment_list"),
    },
    "component": {
        "create": Verb("register a component version", (FILE, NAME, VERSION, SET, EXPORT), ("file|cell",), **_CREATE,
                       handler="components:component_create"),
        "show": Verb("show a component version", (NAME, VERSION, LABEL), ("name",), handler="components:component_show"),
        "list": Verb("list components (with -n: its versions)",
                     (NAME, MAX_RESULTS, Flag("--include-archived", None, "bool"), Flag("--archived-only", None, "bool")),
                     handler="components:component_list"),
        "archive": Verb("archive a version, or with only -n the whole component", (NAME, VERSION, LABEL), ("name",),
                        handler="components:component_archive"),
        "restore": Verb("restore an archived version or component", (NAME, VERSION, LABEL), ("name",),
                        handler="components:component_restore"),
    },
    "job": {
        "create": Verb("submit a command or sweep job", (FILE, NAME, SET, Flag("--stream", "-s", "bool"),
                       Flag("--experiment-name", None), DESCRIPTION, EXPORT), ("file|cell",), **_CREATE, handler="jobs:job_create"),
        "show": Verb("show a job (a sweep: its trials and the best one)", (NAME,), ("name",), handler="jobs:job_show"),
        "list": Verb("list jobs", (Flag("--parent-job-name", "-p"), MAX_RESULTS, Flag("--all-results", None, "bool")), handler="jobs:job_list"),
        "stream": Verb("print the job's log as it grows, until it ends", (NAME,), ("name",), handler="jobs:job_stream"),
        "cancel": Verb("cancel a job (a sweep: and its running trials)", (NAME,), ("name",), handler="jobs:job_cancel"),
        "download": Verb("download a job's outputs", (NAME, Flag("--output-name", None), DOWNLOAD_PATH,
                         Flag("--all", None, "bool")), ("name",), handler="jobs:job_download"),
        "metrics": Verb("every metric's series", (NAME,), ("name",), ours=True, handler="jobs:job_metrics"),
        "watch": Verb("live monitor: status, log, charts", (NAME,), ("name",), ours=True, handler="jobs:job_watch"),
    },
    "model": {
        "create": Verb("register a model version (from a path or a job output)",
                       (NAME, VERSION, FILE, PATH, TYPE, DESCRIPTION, SET, EXPORT), ("name|file|cell",), **_CREATE, handler="assets:model_create"),
        "show": Verb("show a model version and its lineage", (NAME, VERSION, LABEL), ("name",), handler="assets:model_show"),
        "list": Verb("list models (with -n: its versions)", (NAME, MAX_RESULTS), handler="assets:model_list"),
        "download": Verb("download a model version", (NAME, VERSION, DOWNLOAD_PATH), ("name",), handler="assets:model_download"),
    },
    "online-endpoint": {
        "create": Verb("create an online endpoint", (NAME, FILE, Flag("--auth-mode", None), SET, EXPORT),
                       ("name|file|cell",), **_CREATE, handler="endpoints:online_endpoint_create"),
        "show": Verb("scoring URI, traffic, state of each deployment", (NAME,), ("name",), handler="endpoints:online_endpoint_show"),
        "list": Verb("list online endpoints", handler="endpoints:online_endpoint_list"),
        "update": Verb("change traffic or mirror traffic", (NAME, FILE, Flag("--traffic", "-r"),
                       Flag("--mirror-traffic", None), SET), ("name|file",), handler="endpoints:online_endpoint_update"),
        "invoke": Verb("send a request", (NAME, Flag("--request-file", "-r"), Flag("--deployment-name", "-d")),
                       ("name", "request_file"), handler="endpoints:online_endpoint_invoke"),
        "get-credentials": Verb("the endpoint's keys", (NAME,), ("name",), handler="endpoints:online_endpoint_get_credentials"),
        "delete": Verb("delete the endpoint and its deployments", (NAME, YES), ("name",), handler="endpoints:online_endpoint_delete"),
        "test": Verb("endpoint tester widget", (NAME,), ours=True, handler="endpoints:online_endpoint_test"),
    },
    "online-deployment": {
        "create": Verb("create a deployment", (NAME, ENDPOINT, FILE, Flag("--all-traffic", None, "bool"), SET, EXPORT),
                       ("file|cell",), **_CREATE, handler="endpoints:online_deployment_create"),
        "update": Verb("update a deployment", (NAME, ENDPOINT, FILE, SET), ("file|cell",), **_CREATE, handler="endpoints:online_deployment_create"),
        "show": Verb("show a deployment", (NAME, ENDPOINT), ("name", "endpoint_name"), handler="endpoints:online_deployment_show"),
        "list": Verb("list an endpoint's deployments", (ENDPOINT,), ("endpoint_name",), handler="endpoints:online_deployment_list"),
        "get-logs": Verb("a deployment's logs", (NAME, ENDPOINT, Flag("--lines", "-l", "int"),
                         Flag("--container", "-c")), ("name", "endpoint_name"), handler="endpoints:online_deployment_get_logs"),
        "delete": Verb("delete a deployment", (NAME, ENDPOINT, YES), ("name", "endpoint_name"), handler="endpoints:online_deployment_delete"),
    },
    "schedule": {
        "create": Verb("create a schedule (cron or recurrence) that submits a job", (FILE, NAME, SET, NO_WAIT, EXPORT),
                       ("file|cell",), **_CREATE, handler="schedules:schedule_create"),
        "show": Verb("show a schedule, its next fire times and the jobs it triggered", (NAME,), ("name",),
                     handler="schedules:schedule_show"),
        "list": Verb("list schedules (enabled ones unless told)",
                     (MAX_RESULTS, Flag("--include-disabled", None, "bool"), Flag("--disabled-only", None, "bool")),
                     handler="schedules:schedule_list"),
        "update": Verb("change a schedule (--set description=..., or -f with its YAML)", (NAME, FILE, SET, NO_WAIT),
                       ("name|file|cell",), **_CREATE, handler="schedules:schedule_update"),
        "enable": Verb("enable a schedule", (NAME, NO_WAIT), ("name",), handler="schedules:schedule_enable"),
        "disable": Verb("disable a schedule (it triggers nothing until enabled)", (NAME, NO_WAIT), ("name",),
                        handler="schedules:schedule_disable"),
        "delete": Verb("delete a disabled schedule (the jobs it triggered stay)", (NAME, YES, NO_WAIT), ("name",),
                       handler="schedules:schedule_delete"),
        "trigger": Verb("fire an enabled schedule once, now", (NAME,), ("name",), handler="schedules:schedule_trigger"),
    },
    "batch-endpoint": {
        "create": Verb("create (or overwrite) a batch endpoint", (NAME, FILE, SET, NO_WAIT, EXPORT),
                       ("name|file|cell",), **_CREATE, handler="batch:batch_endpoint_create"),
        "show": Verb("show a batch endpoint and its deployments", (NAME,), ("name",), handler="batch:batch_endpoint_show"),
        "list": Verb("list batch endpoints", handler="batch:batch_endpoint_list"),
        "update": Verb("change description, tags or defaults.deployment_name", (NAME, FILE, SET), ("name|file",),
                       handler="batch:batch_endpoint_update"),
        "delete": Verb("delete the endpoint and its deployments", (NAME, YES, NO_WAIT), ("name",),
                       handler="batch:batch_endpoint_delete"),
        "invoke": Verb("start a batch scoring job", (
            NAME, Flag("--deployment-name", "-d"), Flag("--input", None, help="folder, file, azureml:data@latest or datastore path"),
            Flag("--input-type", None, help="uri_folder or uri_file"), FILE, Flag("--instance-count", "-c", "int"),
            Flag("--mini-batch-size", "-m", "int"), Flag("--output-path", None), SET, Flag("--job-name", None),
            Flag("--experiment-name", None), Flag("--stream", "-s", "bool")), ("name",), handler="batch:batch_endpoint_invoke"),
        "list-jobs": Verb("the endpoint's batch jobs", (NAME,), ("name",), handler="batch:batch_endpoint_list_jobs"),
    },
    "batch-deployment": {
        "create": Verb("create (or overwrite) a batch deployment", (FILE, NAME, BATCH_ENDPOINT, SET,
                       Flag("--set-default", None, "bool"), Flag("--skip-script-validation", None, "bool"), NO_WAIT, EXPORT),
                       ("file|cell",), **_CREATE, handler="batch:batch_deployment_create"),
        "update": Verb("update a batch deployment (-f, or -n -e with --set)", (FILE, NAME, BATCH_ENDPOINT, SET),
                       ("file|cell|name",), **_CREATE, handler="batch:batch_deployment_update"),
        "show": Verb("show a batch deployment", (NAME, BATCH_ENDPOINT), ("name", "endpoint_name"),
                     handler="batch:batch_deployment_show"),
        "list": Verb("list an endpoint's batch deployments", (BATCH_ENDPOINT,), ("endpoint_name",),
                     handler="batch:batch_deployment_list"),
        "delete": Verb("delete a batch deployment", (NAME, BATCH_ENDPOINT, YES, NO_WAIT), ("name", "endpoint_name"),
                       handler="batch:batch_deployment_delete"),
        "list-jobs": Verb("the deployment's batch jobs", (NAME, BATCH_ENDPOINT), ("name", "endpoint_name"),
                          handler="batch:batch_deployment_list_jobs"),
    },
    "connect": {
        "": Verb("connect to a backend", (Flag("--local", None, "bool"), Flag("--subscription", None),
                 Flag("--resource-group", "-g"), Flag("--workspace-name", "-w", aliases=("--workspace",)), Flag("--config", None),
                 Flag("--replay", None, "multi"), Flag("--record", None)), positional="local_path", handler="workspace:connect_default"),
    },
    "export": {
        "": Verb("write what this session did as CLI v2 YAML + deploy.sh",
                 (Flag("--dir", None), Flag("--last", None, "bool"),
                  Flag("--ci", None, help="also write a CI/CD workflow: github or azure-pipelines")),
                 ours=True, handler="workspace:export_default"),
    },
    "mlops": {
        "": Verb("the MLOps maturity report: practices found, level reached, next steps",
                 (Flag("--dir", None, help="also assess an exported folder or a repository"),), ours=True,
                 handler="mlops:mlops_default"),
    },
    "activity": {
        "": Verb("the audit trail: every change made to the workspace, newest first",
                 (NAME, Flag("--since", None, help="a duration (30m, 1h, 2d) or an ISO time"), MAX_RESULTS),
                 ours=True, handler="activity:activity_default"),
    },
    "lineage": {
        "": Verb("where an asset came from and where it went (model, data, environment, job, online-endpoint, "
                 "online-deployment, batch-endpoint, batch-deployment)", (NAME, VERSION, ENDPOINT), ("name",), ours=True, positional="asset",
                 handler="lineage:lineage_default"),
    },
    "help": {
        "": Verb("usage", (), positional="topic", handler="workspace:help_default"),
    },
}

# The widget a noun opens when given no verb (`%aml compute`), by its handler.
WIDGETS = {
    "workspace": "workspace:workspace_default",
    "compute": "compute:compute_default",
    "data": "assets:data_default",
    "environment": "assets:environment_default",
    "online-endpoint": "endpoints:online_endpoint_test",
}

ALIASES = {
    "env": "environment",
    "endpoint": "online-endpoint",
    "deployment": "online-deployment",
    "environments": "environment",
    "components": "component",
    "jobs": "job",
    "models": "model",
    "schedules": "schedule",
}


def canonical_noun(word: str) -> str | None:
    word = ALIASES.get(word, word)
    return word if word in NOUNS else None


def resolve_handler(spec: str) -> Callable[[Any], Any]:
    """`"jobs:job_create"` -> the function `amlmagic.magics.commands.jobs.job_create`."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(f"amlmagic.magics.commands.{module}"), name)


def handler_for(noun: str, verb: str) -> Callable[[Any], Any]:
    """The function that runs `%aml noun verb` (verb "" for a noun alone: its widget)."""
    verbs = NOUNS[noun]
    spec = verbs[verb].handler if verb in verbs else WIDGETS[noun]
    return resolve_handler(spec)
