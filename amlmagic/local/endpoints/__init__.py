"""Helpers of the local online endpoints: records and names, the per-deployment snapshot
(code copied at create, the model laid out as Azure mounts it), what a deployment's fields
resolve to, and the serving config built from the records."""

__all__: list[str] = []
