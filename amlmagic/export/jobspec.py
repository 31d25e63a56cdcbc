"""A job entity as its CLI v2 dict, for export (build reads it; references reads what it names)."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["job_spec"]


def job_spec(job: Any) -> dict:
    """`spec.jobs.job_to_spec` of a job as a backend returned it. The sweep converter dumps the
    whole entity, and a creation context holding text dates (as the local backend's does) breaks
    that dump: the export needs no creation context, so it converts a copy without one."""
    from ..spec.jobs import job_to_spec

    plain = copy.copy(job)
    plain._creation_context = None
    return job_to_spec(plain)
