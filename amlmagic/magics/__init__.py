"""The `%aml` / `%%aml` magics: parse, call the client, display."""

from .magic import AmlMagics, run_aml

__all__ = ["AmlMagics", "run_aml"]
