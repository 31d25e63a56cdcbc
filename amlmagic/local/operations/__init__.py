"""The local backend's operation groups, named and shaped like MLClient's."""

# Importing the sweep and pipeline packages registers how a sweep or pipeline whose controller
# died is revived (jobs/revival.py): every status read through the client can revive one.
from .. import pipeline, sweep  # noqa: F401

__all__: list[str] = []
