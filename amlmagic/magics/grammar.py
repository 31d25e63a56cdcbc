"""The `%aml` grammar: nouns, verbs and flags mirroring `az ml` (CLI v2), as plain tables.

A flag is `Flag(long, short, kind)`; kinds: `str`, `int`, `bool` (a switch), `multi` (repeatable,
e.g. `--set a=b --set c=d`, or several values after one flag like `--replay A B`).
Verbs marked `*` in help are amlmagic additions that `az ml` does not have.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Flag", "Verb", "NOUNS", "ALIASES", "WIDGET_NOUNS", "canonical_noun"]


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
    extra: dict = field(default_factory=dict)


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

NOUNS: dict[str, dict[str, Verb]] = {
    "workspace": {
        "show": Verb("summarize the connection and asset counts"),
    },
    "compute": {
        "create": Verb("create a local pool (a concurrency bound) or an Azure cluster",
                       (NAME, FILE, TYPE, Flag("--size", None), Flag("--min-instances", None, "int"),
                        Flag("--max-instances", None, "int"), Flag("--idle-time-before-scale-down", None, "int"),
                        DESCRIPTION, SET, EXPORT), ("name|file|cell",), **_CREATE),
        "show": Verb("show a compute target", (NAME,), ("name",)),
        "list": Verb("list compute targets", (MAX_RESULTS,)),
        "delete": Verb("delete a compute target", (NAME, YES, NO_WAIT), ("name",)),
        "use": Verb("make it the default compute of later jobs", (NAME,), ("name",), ours=True),
    },
    "datastore": {
        "create": Verb("register a datastore (locally: a folder)", (NAME, FILE, PATH, DESCRIPTION, SET, EXPORT),
                       ("name|file|cell",), **_CREATE),
        "show": Verb("show a datastore", (NAME,), ("name",)),
        "list": Verb("list datastores", (MAX_RESULTS,)),
        "delete": Verb("unregister a datastore", (NAME, YES), ("name",)),
    },
    "data": {
        "create": Verb("register a data asset version", (NAME, VERSION, FILE, PATH, TYPE, DESCRIPTION, SET, EXPORT),
                       ("name|file|cell",), **_CREATE),
        "show": Verb("show a data asset version", (NAME, VERSION, LABEL), ("name",)),
        "list": Verb("list data assets (with -n: its versions)", (NAME, MAX_RESULTS)),
        "download": Verb("download a data asset version", (NAME, VERSION, LABEL, DOWNLOAD_PATH), ("name",)),
    },
    "environment": {
        "create": Verb("register an environment version (%%aml: the cell is a conda YAML or requirements.txt)",
                       (NAME, VERSION, FILE, Flag("--image", "-i"), Flag("--conda-file", "-c"),
                        Flag("--build-context", "-b"), Flag("--dockerfile-path", None), DESCRIPTION, SET, EXPORT),
                       ("name|file|cell",), **_CREATE),
        "show": Verb("show an environment version", (NAME, VERSION, LABEL), ("name",)),
        "list": Verb("list environments (with -n: its versions)", (NAME, MAX_RESULTS)),
    },
    "component": {
        "create": Verb("register a component version", (FILE, NAME, VERSION, SET, EXPORT), ("file|cell",), **_CREATE),
        "show": Verb("show a component version", (NAME, VERSION, LABEL), ("name",)),
        "list": Verb("list components (with -n: its versions)",
                     (NAME, MAX_RESULTS, Flag("--include-archived", None, "bool"), Flag("--archived-only", None, "bool"))),
        "archive": Verb("archive a version, or with only -n the whole component", (NAME, VERSION, LABEL), ("name",)),
        "restore": Verb("restore an archived version or component", (NAME, VERSION, LABEL), ("name",)),
    },
    "job": {
        "create": Verb("submit a command or sweep job", (FILE, NAME, SET, Flag("--stream", "-s", "bool"),
                       Flag("--experiment-name", None), DESCRIPTION, EXPORT), ("file|cell",), **_CREATE),
        "show": Verb("show a job (a sweep: its trials and the best one)", (NAME,), ("name",)),
        "list": Verb("list jobs", (Flag("--parent-job-name", "-p"), MAX_RESULTS, Flag("--all-results", None, "bool"))),
        "stream": Verb("print the job's log as it grows, until it ends", (NAME,), ("name",)),
        "cancel": Verb("cancel a job (a sweep: and its running trials)", (NAME,), ("name",)),
        "download": Verb("download a job's outputs", (NAME, Flag("--output-name", None), DOWNLOAD_PATH,
                         Flag("--all", None, "bool")), ("name",)),
        "metrics": Verb("every metric's series", (NAME,), ("name",), ours=True),
        "watch": Verb("live monitor: status, log, charts", (NAME,), ("name",), ours=True),
    },
    "model": {
        "create": Verb("register a model version (from a path or a job output)",
                       (NAME, VERSION, FILE, PATH, TYPE, DESCRIPTION, SET, EXPORT), ("name|file|cell",), **_CREATE),
        "show": Verb("show a model version and its lineage", (NAME, VERSION, LABEL), ("name",)),
        "list": Verb("list models (with -n: its versions)", (NAME, MAX_RESULTS)),
        "download": Verb("download a model version", (NAME, VERSION, DOWNLOAD_PATH), ("name",)),
    },
    "online-endpoint": {
        "create": Verb("create an online endpoint", (NAME, FILE, Flag("--auth-mode", None), SET, EXPORT),
                       ("name|file|cell",), **_CREATE),
        "show": Verb("scoring URI, traffic, state of each deployment", (NAME,), ("name",)),
        "list": Verb("list online endpoints"),
        "update": Verb("change traffic or mirror traffic", (NAME, FILE, Flag("--traffic", "-r"),
                       Flag("--mirror-traffic", None), SET), ("name|file",)),
        "invoke": Verb("send a request", (NAME, Flag("--request-file", "-r"), Flag("--deployment-name", "-d")),
                       ("name", "request_file")),
        "get-credentials": Verb("the endpoint's keys", (NAME,), ("name",)),
        "delete": Verb("delete the endpoint and its deployments", (NAME, YES), ("name",)),
        "test": Verb("endpoint tester widget", (NAME,), ours=True),
    },
    "online-deployment": {
        "create": Verb("create a deployment", (NAME, ENDPOINT, FILE, Flag("--all-traffic", None, "bool"), SET, EXPORT),
                       ("file|cell",), **_CREATE),
        "update": Verb("update a deployment", (NAME, ENDPOINT, FILE, SET), ("file|cell",), **_CREATE),
        "show": Verb("show a deployment", (NAME, ENDPOINT), ("name", "endpoint_name")),
        "list": Verb("list an endpoint's deployments", (ENDPOINT,), ("endpoint_name",)),
        "get-logs": Verb("a deployment's logs", (NAME, ENDPOINT, Flag("--lines", "-l", "int"),
                         Flag("--container", "-c")), ("name", "endpoint_name")),
        "delete": Verb("delete a deployment", (NAME, ENDPOINT, YES), ("name", "endpoint_name")),
    },
    "connect": {
        "": Verb("connect to a backend", (Flag("--local", None, "bool"), Flag("--subscription", None),
                 Flag("--resource-group", "-g"), Flag("--workspace-name", "-w", aliases=("--workspace",)), Flag("--config", None),
                 Flag("--replay", None, "multi"), Flag("--record", None)), positional="local_path"),
    },
    "export": {
        "": Verb("write what this session did as CLI v2 YAML + deploy.sh",
                 (Flag("--dir", None), Flag("--last", None, "bool")), ours=True),
    },
    "help": {
        "": Verb("usage", (), positional="topic"),
    },
}

# Nouns that open a widget when given no verb.
WIDGET_NOUNS = ("workspace", "compute", "data", "environment", "online-endpoint")

ALIASES = {
    "env": "environment",
    "endpoint": "online-endpoint",
    "deployment": "online-deployment",
    "environments": "environment",
    "components": "component",
    "jobs": "job",
    "models": "model",
}


def canonical_noun(word: str) -> str | None:
    word = ALIASES.get(word, word)
    return word if word in NOUNS else None
