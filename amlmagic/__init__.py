"""amlmagic: Azure Machine Learning from notebook cells.

    %load_ext amlmagic
    %aml help

Loading the extension imports nothing heavy: azure-ai-ml, MLflow and the widgets load on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load_ipython_extension", "unload_ipython_extension", "__version__"]


def load_ipython_extension(ipython) -> None:
    from .display import register_formatters
    from .magics import AmlMagics
    from .magics.completion import register_completer

    ipython.register_magics(AmlMagics)
    register_formatters(ipython)
    register_completer(ipython)


def unload_ipython_extension(ipython) -> None:
    ipython.magics_manager.registry.pop("AmlMagics", None)
