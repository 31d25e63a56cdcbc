"""Snapshot a `code:` folder (or single file) as Azure does at submit: later edits to the source
never change what a job, a sweep's trials or a deployment runs, and the snapshot holds the files
Azure would upload, so a local run cannot read a file the same YAML will not have on Azure.

The upload rule (azure-ai-ml 1.35 `_utils/_asset_utils.py`: `get_ignore_file`, `IgnoreFile.
is_file_excluded`, `traverse_directory`): only the code folder's root ignore file counts,
`.amlignore` if it exists, else `.gitignore`; each file (never a folder) is matched by its path
relative to that root against every line as a gitwildmatch pattern, the last matching line wins
(`!` re-includes, even a file under an excluded folder: unlike git); the ignore file itself is
uploaded unless it excludes itself; empty folders are not uploaded (blob storage has none).
We match with `pathspec` (imported only when there is an ignore file), never the SDK's private
copy of it; the tests compare both on random ignore files. Known difference: a line with both a
`[...]` class and an unclosed `[`. A folder is skipped without being walked when a line excludes
all of it and no later `!` line could reach inside; otherwise it is listed, never copied whole."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ..errors import ValidationError

__all__ = ["snapshot_code", "snapshot_hash", "SNAPSHOT_IGNORE", "IGNORE_FILES"]

# Our rule, on top of Azure's (which drops only `__pycache__`, for component code): never copy
# VCS and cache folders, nor the workspace folder.
SNAPSHOT_IGNORE = (".git", "__pycache__", ".ipynb_checkpoints", ".amlmagic")
IGNORE_FILES = (".amlignore", ".gitignore")  # precedence order, root folder only


def snapshot_code(source: Path, target: Path, workspace_root: Path | None = None) -> Path:
    """Copy `source` into `target` (a new folder), leaving out what Azure's upload leaves out and
    SNAPSHOT_IGNORE. Symlinks are followed: real copies, since an editor may rewrite a linked
    file in place."""
    source = Path(source)
    if source.is_file():  # Azure looks for an ignore file only inside a folder
        target.mkdir(parents=True)
        shutil.copy2(source, target / source.name)
        return target
    if not source.is_dir():
        raise FileNotFoundError(f"no such code folder or file: {source}")
    rules = _Rules.load(source)
    skip_root = os.path.realpath(workspace_root) if workspace_root else None
    target.mkdir(parents=True)
    for folder, dirs, files in os.walk(source, followlinks=True):
        real = os.path.realpath(folder)
        # Pruned here, never walked: the built-in folders and folders whose every file is excluded.
        dirs[:] = [d for d in dirs if d not in SNAPSHOT_IGNORE
                   and (sub := os.path.realpath(os.path.join(folder, d))) != skip_root
                   and not rules.prunes(sub)]
        kept = [f for f in files if not rules.excluded(os.path.join(real, f))]
        if kept:  # folders appear only with a file in them, as on Azure
            out = target / os.path.relpath(folder, source)
            out.mkdir(parents=True, exist_ok=True)
            for name in kept:
                shutil.copy2(os.path.join(folder, name), out / name)
    return target


class _Rules:
    """The root ignore file's patterns as (compiled pattern, line text) in file order."""

    def __init__(self, base: str = "", patterns: list | None = None):
        self.base, self.patterns = base, patterns or []

    @classmethod
    def load(cls, source: Path) -> "_Rules":
        path = next((source / n for n in IGNORE_FILES if (source / n).exists()), None)
        if path is None:
            return cls()
        try:  # pathspec >= 1.0 names the SDK's (vendored) gitwildmatch pattern "spec"
            from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern as Pattern
        except ImportError:
            from pathspec.patterns.gitwildmatch import GitWildMatchPattern as Pattern
        patterns = []
        # the SDK reads utf-8-sig, strips each line, and skips blank lines and comments
        for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
            text = line.strip()
            try:
                pattern = Pattern(text)
                if pattern.include is None and "[" in text and not text.startswith("#"):
                    # "spec" drops a line with an unclosed `[`; the SDK reads it as a literal `[`
                    pattern = Pattern(re.sub(r"(?<!\\)\[", r"\\[", text))
            except (ValueError, re.error) as error:  # the SDK's upload fails on it too
                raise ValidationError(f"{path} line {number}: {error}") from None
            # `/**/`, `!/`: the SDK's copy of pathspec matches nothing with them, pathspec 1.x
            # every nested file
            if pattern.include is not None and not re.fullmatch(r"!?(/\*\*)*/", text):
                patterns.append((pattern, text))
        # the SDK takes paths relative to the resolved ignore file's folder
        return cls(os.path.dirname(os.path.realpath(path)), patterns)

    def key(self, path: str) -> str:
        """The path the SDK matches: a file's folder *resolved* (a file reached through a
        symlinked folder is matched by where the link points), relative to the ignore file."""
        return Path(os.path.relpath(path, self.base)).as_posix()

    def excluded(self, path: str) -> bool:
        if not self.patterns:
            return False
        verdict, key = False, self.key(path)
        for pattern, _ in self.patterns:
            if pattern.regex.search(key):
                verdict = pattern.include
        return verdict

    def prunes(self, path: str) -> bool:
        """True when every file under the (resolved) folder `path` is surely excluded: an
        including line covers the whole folder and no later `!` line can match under it."""
        if not self.patterns:
            return False
        key = self.key(path)
        for pattern, line in reversed(self.patterns):
            if not pattern.include:
                if _may_reach(line[1:], key):
                    return False
            elif _covers(pattern, key):
                return True
        return False


def _covers(pattern, key: str) -> bool:
    # gitwildmatch regexes mark the slash after the matched folder with group `ps_d`; whatever
    # follows it is unconstrained, so a match ending there matches every path under the folder.
    # (Without that group, e.g. `*` in pathspec 1.x, we walk: slower, never wrong.)
    match = pattern.regex.search(key + "/")
    return bool(match) and "ps_d" in match.re.groupindex and match.end("ps_d") == len(key) + 1


def _may_reach(text: str, key: str) -> bool:
    """Could the `!` pattern `text` match some path under folder `key`? When unsure: yes."""
    text = text.rstrip("/")
    if "/" not in text:  # no slash: it matches at any depth
        return True
    parts, folder = text.lstrip("/").split("/"), key.split("/")
    for part, name in zip(parts, folder, strict=False):  # a pattern may be longer or shorter
        if not part or any(c in part for c in "*?[\\"):
            return True
        if part != name:
            return False
    return True


def snapshot_hash(folder: Path) -> str | None:
    """The content hash of a snapshot, computed as azure-ai-ml computes a code asset's
    `hash_sha256` (`_utils/_asset_utils.py` `get_content_hash`, hash version 202208): sha256 over
    the file count, then `#relative/path#` and the size of each file sorted by lower-cased path,
    then their bytes in that order. The snapshot holds the files Azure would upload, so the same
    code gives the same hash on both backends. None for an empty snapshot (a job without code)."""
    import hashlib

    files = sorted(((p, p.relative_to(folder).as_posix()) for p in Path(folder).rglob("*") if p.is_file()),
                   key=lambda pair: pair[1].lower())
    if not files:
        return None
    digest = hashlib.sha256(str(len(files)).encode())
    for path, relative in files:
        digest.update(f"#{relative}#".encode())
        digest.update(str(path.stat().st_size).encode())
    for path, _ in files:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
