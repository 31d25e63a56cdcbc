"""`%aml mlops [--dir PATH]`: the maturity report of the workspace (and of an exported folder or a
repository): in a notebook the `MaturityTable` widget, elsewhere the `MaturityReport`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["mlops_default"]


def mlops_default(ctx) -> Any:
    from ...mlops import assess

    given = ctx.flag("dir")
    folder = ctx.cwd / Path(given).expanduser() if given else None
    report = assess(ctx.client, folder)
    if not ctx.in_kernel:
        return report
    from ...widgets import MaturityTable

    return MaturityTable(report, reassess=lambda: assess(ctx.client, folder))
