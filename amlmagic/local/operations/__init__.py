"""The local backend's operation groups, named and shaped like MLClient's."""

# Importing the sweep, pipeline and batch packages registers how a sweep, pipeline or batch job
# whose driver died is revived (jobs/revival.py): every status read through the client can revive one.
from .. import batch, pipeline, sweep  # noqa: F401

__all__: list[str] = []
