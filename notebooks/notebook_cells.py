"""The two kinds of cell the MNIST notebook's parts are written with (cells_*.py)."""

__all__ = ["code", "md"]


def md(text):
    return ("markdown", text.strip("\n"), [])


def code(text, *tags):
    return ("code", text.strip("\n"), list(tags))
