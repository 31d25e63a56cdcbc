"""Entities <-> CLI v2 YAML dicts, our own (azure-ai-ml's dump is not faithful). Nothing heavy
is imported here: azure.ai.ml loads inside the functions that build entities."""

__all__: list[str] = []
