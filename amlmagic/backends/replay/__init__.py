"""Replay of recorded Azure ML REST traffic (Azure SDK test-proxy format)."""

__all__: list[str] = []
