"""Azure ML's naming rules, and job names generated the way Azure generates them."""

from __future__ import annotations

import random
import re

from .errors import ValidationError

__all__ = ["validate_asset_name", "validate_job_name", "generate_job_name"]

_ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$")
_JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,254}$")

# Azure names jobs "<adjective>_<noun>_<digits>" (e.g. "sincere_tail_d2lz1k7x1m"); a small
# vocabulary keeps them readable while the random suffix keeps them unique.
_ADJECTIVES = (
    "amiable brave calm clever dreamy eager gentle happy jolly keen kind lively lucky "
    "mighty nice plucky polite quiet shy silly sincere sleepy stoic sunny tender witty zen"
).split()
_NOUNS = (
    "apple basket bean boat button carrot cloud coat cup drop eagle frog garden hat kettle "
    "lamp lemon loaf moon nest pear plum rain river seed shoe star tail tomato yacht"
).split()
_SUFFIX = "abcdefghijklmnopqrstuvwxyz0123456789"


def validate_asset_name(name: str, what: str = "name") -> str:
    if not isinstance(name, str) or not _ASSET_NAME.match(name):
        raise ValidationError(
            f"invalid {what} {name!r}: use letters, digits, '-', '_' and '.', starting with a "
            "letter or digit, at most 255 characters"
        )
    return name


def validate_job_name(name: str) -> str:
    if not isinstance(name, str) or not _JOB_NAME.match(name):
        raise ValidationError(
            f"invalid job name {name!r}: use letters, digits, '-' and '_', starting with a "
            "letter or digit, at most 255 characters"
        )
    return name


def generate_job_name(rng: random.Random | None = None) -> str:
    rng = rng or random.SystemRandom()
    suffix = "".join(rng.choice(_SUFFIX) for _ in range(10))
    return f"{rng.choice(_ADJECTIVES)}_{rng.choice(_NOUNS)}_{suffix}"
