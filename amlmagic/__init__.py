"""amlmagic: Azure Machine Learning from notebook cells.

    %load_ext amlmagic
    %aml help

Loading the extension imports nothing heavy: azure-ai-ml starts importing in a background thread
(amlmagic.warm_up), MLflow and the widgets load on first use.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"
__all__ = ["load_ipython_extension", "unload_ipython_extension", "__version__"]

# azure-ai-ml logs "Class X: This is an experimental class..." for schema classes it builds while
# loading any YAML or entity: about its internals, nothing the user wrote, so never shown.
logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)


def load_ipython_extension(ipython) -> None:
    from .display import register_formatters
    from .magics import AmlMagics
    from .magics.completion import register_completer
    from .warm_up import schedule_warm_up

    ipython.register_magics(AmlMagics)
    register_formatters(ipython)
    register_completer(ipython)
    schedule_warm_up(ipython)


def unload_ipython_extension(ipython) -> None:
    from .warm_up import cancel_warm_up

    cancel_warm_up(ipython)
    ipython.magics_manager.registry.pop("AmlMagics", None)
