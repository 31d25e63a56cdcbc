"""Which recorded entry answers a request.

Rules (from replaying real azure-ai-ml traffic, see ../shared/recordings/README.md):
- method and path must match; the host is ignored and the path compares case-insensitively;
- the query is compared without `api-version` (SDK versions differ), the volatile parameters of
  long-running operation URLs (service, t, c, s, h), code-hash lookups and SAS signatures;
- a sanitized identifier in the recording (all-zero GUID, zeroed hash, `00000` names,
  `Sanitized`) matches any value in the same position;
- a long hex content hash matches any hex hash of the same length **(our rule)**: the hash of an
  uploaded folder depends on the bytes on the user's disk (line endings, checkouts), so it
  cannot identify the request any better than a sanitized id;
- the version of an anonymous component (`components/azureml_anonymous/versions/<v>`, the inline
  steps of a pipeline) matches any version **(our rule)**: azure-ai-ml hashes the step's spec with
  its local paths, so the same notebook in another folder asks for another version;
- identical repeated requests (polling) walk through their matching entries in order; an entry
  with `"Count": n` (the recorder collapses n identical exchanges into one) answers n of them;
  once they are all used, GET and HEAD repeat the last one (a notebook may look one more time),
  at most MAX_REPEATS times **(our rule)**: a poller whose recording ends mid-operation would
  otherwise poll a recorded "InProgress" forever.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import parse_qsl, unquote, urlsplit

from ...errors import ReplayMismatchError

__all__ = ["RequestKey", "request_key", "segment_matches", "Player", "MAX_REPEATS"]

MAX_REPEATS = 20

# Query parameters that never identify a request.
IGNORED_QUERY = frozenset(
    {
        "api-version",
        # Azure-AsyncOperation / Location polling URLs
        "service", "t", "c", "s", "h",
        # code asset lookups by content hash
        "hash", "hashversion",
        # SAS signatures (blob storage)
        "sv", "sig", "se", "st", "srt", "ss", "sp", "spr", "sr", "si", "sip", "skoid", "sktid",
        "skt", "ske", "sks", "skv", "sdd", "ses", "rscc", "rscd", "rsce", "rscl", "rsct", "timeout",
    }
)

_SANITIZED = re.compile(r"^(?:[0-]{5,}|sanitized|sanitized[-_.a-z0-9]*)$", re.IGNORECASE)
_HEX_HASH = re.compile(r"^[0-9a-f]{32,}$", re.IGNORECASE)
_REPEATABLE = ("GET", "HEAD")


class RequestKey(tuple):
    """(METHOD, path segments lowercased, sorted query items) of one request."""

    @property
    def method(self) -> str:
        return self[0]

    @property
    def segments(self) -> tuple[str, ...]:
        return self[1]

    @property
    def query(self) -> tuple[tuple[str, str], ...]:
        return self[2]

    def describe(self) -> str:
        path = "/" + "/".join(self.segments)
        # Shorten the long workspace scope that every ARM URL repeats.
        path = re.sub(r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.machinelearningservices/", "…/", path)
        query = "&".join(f"{k}={v}" for k, v in self.query)
        return f"{self.method} {path}" + (f"?{query}" if query else "")


def request_key(method: str, url: str) -> RequestKey:
    parts = urlsplit(url)
    segments = tuple(unquote(s).lower() for s in parts.path.split("/") if s)
    query = tuple(
        sorted((k.lower(), v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in IGNORED_QUERY)
    )
    return RequestKey((method.upper(), segments, query))


def segment_matches(recorded: str, actual: str) -> bool:
    if recorded == actual.lower() or recorded == actual:
        return True
    if _SANITIZED.match(recorded):
        return True
    if _HEX_HASH.match(recorded) and _HEX_HASH.match(actual) and len(recorded) == len(actual):
        return True
    # A sanitized part inside a segment, e.g. "azureml-blobstore-0000..." or "<name>-00000".
    if "00000" in recorded or "sanitized" in recorded:
        pattern = re.sub(r"(0{5,}(?:-0+)*|sanitized)", "\x00", recorded)
        regex = "^" + ".+".join(re.escape(p) for p in pattern.split("\x00")) + "$"
        return re.match(regex, actual.lower()) is not None
    return False


def _anonymous_version(segments: tuple[str, ...], index: int) -> bool:
    """Segment `index` is the version of an anonymous component."""
    return index >= 2 and segments[index - 2:index] == ("azureml_anonymous", "versions")


def keys_match(recorded: RequestKey, actual: RequestKey) -> bool:
    if recorded.method != actual.method or len(recorded.segments) != len(actual.segments):
        return False
    if not all(segment_matches(r, a) or _anonymous_version(recorded.segments, i)
               for i, (r, a) in enumerate(zip(recorded.segments, actual.segments, strict=True))):
        return False
    if [k for k, _ in recorded.query] != [k for k, _ in actual.query]:
        return False
    return all(segment_matches(rv.lower(), av) for (_, rv), (_, av) in zip(recorded.query, actual.query, strict=True))


def _similarity(recorded: RequestKey, actual: RequestKey) -> float:
    score = 2.0 if recorded.method == actual.method else 0.0
    # paths of different lengths compare over their common prefix
    same = sum(1 for r, a in zip(recorded.segments, actual.segments, strict=False) if segment_matches(r, a))
    score += same / max(len(recorded.segments), len(actual.segments), 1) * 4
    score -= abs(len(recorded.segments) - len(actual.segments)) * 0.1
    return score


class Player:
    """Answers requests from the entries of one or more recordings, in order."""

    # What the mismatch message tells the user to do; the pytest plugin names its own option.
    rerecord_hint = "Re-record the notebook with --record, or make the call match the recording."

    def __init__(self, entries: list[dict], sources: list[str] | None = None):
        self.entries = entries
        self.sources = sources or []
        self._keys = [request_key(e["RequestMethod"], e["RequestUri"]) for e in entries]
        self._counts = [max(int(e.get("Count") or 1), 1) for e in entries]
        self._left = list(self._counts)  # answers each entry still gives before it is used up
        self._last_for: dict[RequestKey, int] = {}
        self._repeats: dict[RequestKey, int] = {}  # answers past the last matching entry, per request
        self._lock = threading.Lock()
        self.answered: list[int] = []  # indexes of the entries served, in order
        self.mismatches: list[str] = []  # the message of every request no entry answered

    def answer(self, method: str, url: str) -> dict:
        key = request_key(method, url)
        with self._lock:
            for index, recorded in enumerate(self._keys):
                if self._left[index] and keys_match(recorded, key):
                    self._left[index] -= 1
                    self._last_for[key] = index
                    self.answered.append(index)
                    return self.entries[index]
            if key.method in _REPEATABLE and key in self._last_for:
                index = self._last_for[key]
                self._repeats[key] = self._repeats.get(key, 0) + 1
                if self._repeats[key] <= MAX_REPEATS:
                    self.answered.append(index)
                    return self.entries[index]
                message = (f"The recording ends here: {key.describe()} was answered {MAX_REPEATS} more times with "
                           "its last recorded answer and is still asked. Record the session until the operation "
                           "finishes.")
            else:
                message = self._mismatch_message(key)
            self.mismatches.append(message)
        raise ReplayMismatchError(message)

    def unused(self) -> list[dict]:
        """The entries no request was answered with (a collapsed entry served fewer times than its
        count is used: polling may legitimately end sooner)."""
        return [e for e, left, count in zip(self.entries, self._left, self._counts, strict=True) if left == count]

    def _mismatch_message(self, key: RequestKey) -> str:
        ranked = sorted(range(len(self._keys)), key=lambda i: -_similarity(self._keys[i], key))[:2]
        closest = "; ".join(
            f"{self._keys[i].describe()}{' (already used)' if not self._left[i] else ''}" for i in ranked
        ) or "the recordings are empty"
        where = ", ".join(self.sources) or "the recordings"
        return (
            f"Replay has no recorded answer for {key.describe()} in {where}; closest recorded: {closest}. "
            + self.rerecord_hint
        )
