"""`%aml connect`, `%aml workspace`, `%aml help`, `%aml export`."""

from __future__ import annotations

import warnings
from itertools import islice
from typing import Any

from ...display import TextBlock
from ...errors import AmlMagicError, DamagedStateError, DamagedStateWarning, UsageError
from ..grammar import canonical_noun
from ..parser import usage
from ..paths import output_folder, writing_into

__all__ = ["COUNT_CAP", "connect_default", "workspace_show", "workspace_default", "help_default", "export_default"]


def connect_default(ctx) -> TextBlock:
    flags = ctx.command.args
    azure = any(flags.get(k) for k in ("subscription", "resource_group", "workspace_name", "config"))
    chosen = [name for name, on in (("--local", flags.get("local") or flags.get("local_path")),
                                    ("--replay", flags.get("replay")), ("Azure flags", azure)) if on]
    if len(chosen) > 1:
        raise UsageError(f"choose one backend, not {' and '.join(chosen)}")
    if flags.get("record") and not azure:
        raise UsageError("--record needs an Azure connection: add --subscription/-g/-w or --config")
    session = ctx.session
    if flags.get("replay"):
        session.connect_replay([str(ctx.cwd / p) for p in flags["replay"]])
    elif azure:
        session.connect_azure(
            subscription_id=flags.get("subscription"), resource_group=flags.get("resource_group"),
            workspace=flags.get("workspace_name"), config_path=flags.get("config"),
            record_path=str(ctx.cwd / flags["record"]) if flags.get("record") else None,
            show=lambda text: ctx.show(TextBlock(text)),
        )
    else:
        session.connect_local(ctx.cwd / flags["local_path"] if flags.get("local_path") else None)
    return TextBlock(_describe(session))


def _describe(session) -> str:
    details = ", ".join(f"{k}={v}" for k, v in session.connection.items() if k != "backend")
    return f"connected: {session.connection['backend']} ({details})"


def workspace_show(ctx) -> TextBlock:
    client = ctx.client
    lines = [_describe(ctx.session), f"workspace: {client.workspace_name or '?'}"]
    for label, count in _counts(client):
        lines.append(f"  {label:<18} {count}")
    try:
        default = client.compute.get_default() or "none"
    except DamagedStateError as exc:  # the workspace's settings file: the counts still show
        default = "?"
        warnings.warn(DamagedStateWarning(str(exc)), stacklevel=2)  # one line beneath, as for a damaged entry
    lines.append(f"  default compute    {default}")
    return TextBlock("\n".join(lines))


# Counting stops past this many: on Azure a list pages through the whole workspace history
# (every job ever run), one request per page.
COUNT_CAP = 100


def _count(items) -> Any:
    seen = sum(1 for _ in islice(items, COUNT_CAP + 1))
    return f"{COUNT_CAP}+" if seen > COUNT_CAP else seen


def _counts(client) -> list[tuple[str, Any]]:
    groups = (("datastores", lambda: client.datastores.list()), ("data assets", lambda: client.data.list()),
              ("environments", lambda: client.environments.list()), ("models", lambda: client.models.list()),
              ("computes", lambda: client.compute.list()), ("jobs", lambda: client.jobs.list()),
              ("online endpoints", lambda: client.online_endpoints.list()))
    counts = []
    for label, list_them in groups:
        try:
            counts.append((label, _count(list_them())))
        except AmlMagicError as exc:  # one unreadable group should not hide the others
            counts.append((label, f"? ({type(exc).__name__})"))
    return counts


def workspace_default(ctx) -> Any:
    from ...widgets import WorkspaceExplorer

    return WorkspaceExplorer(ctx.client)


def help_default(ctx) -> TextBlock:
    topic = ctx.flag("topic")
    if topic is None:
        return TextBlock(usage())
    noun = canonical_noun(topic)
    if noun is None:
        raise UsageError(f"no help for {topic!r}: try %aml help")
    return TextBlock(usage(noun))


def export_default(ctx) -> Any:
    from ...export import export_session

    folder = output_folder(ctx.cwd, ctx.flag("dir"), ctx.cwd / "aml-export", "--dir")
    with writing_into(folder, "--dir"):
        return export_session(ctx.session, folder, last=bool(ctx.flag("last")), ci=ctx.flag("ci"))
