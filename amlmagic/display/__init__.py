"""How entities show themselves in a notebook: plain objects with text and HTML, compared as text
by tests. Nothing here imports azure.ai.ml: entities are read through their attributes."""

from .render import EntityList, EntityView, TextBlock, register_formatters, summarize

__all__ = ["EntityList", "EntityView", "TextBlock", "register_formatters", "summarize"]
