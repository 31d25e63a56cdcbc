"""The IPython magic. Thin: parse the line, hand off to the noun's command, display."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError as IPythonUsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from ..display import TextBlock
from ..errors import AmlMagicError
from ..session import current_session
from ..warm_up import wait_for_warm_up
from .beneath import beneath_result, damaged_state_notices
from .context import Context
from .grammar import handler_for
from .parser import parse_line, usage

__all__ = ["AmlMagics", "run_aml"]


def run_aml(line: str, cell: str | None = None, *, shell: Any = None) -> Any:
    """Run one `%aml` line (and `%%aml` cell body); errors are `AmlMagicError`s."""
    command = parse_line(line, cell)
    if command.help:
        return TextBlock(usage(command.noun, command.verb or None))
    in_kernel = type(shell).__name__ == "ZMQInteractiveShell"

    def show(obj: Any) -> None:
        if shell is None:
            print(obj)
        else:
            from IPython.display import display

            display(obj)

    beneath = show if shell is None else beneath_result(shell, show)
    ctx = Context(command=command, session=current_session(), cwd=Path(os.getcwd()), show=show, beneath=beneath,
                  in_kernel=in_kernel)
    # Every backend raises amlmagic.errors types (the Azure adapter translates azure-core's);
    # anything else is a bug and propagates with its traceback.
    with damaged_state_notices(beneath):
        return handler_for(command.noun, command.verb)(ctx)


@magics_class
class AmlMagics(Magics):
    """`%aml <noun> <verb> [flags]` is `az ml` inside the notebook; `%aml help` lists it all."""

    @line_cell_magic
    def aml(self, line: str, cell: str | None = None) -> Any:
        wait_for_warm_up()  # never import azure-ai-ml beside the warm-up thread (see warm_up.py)
        try:
            return run_aml(line, cell, shell=self.shell)
        except AmlMagicError as exc:
            # IPython shows a UsageError as one line, without a traceback.
            raise IPythonUsageError(str(exc)) from None
