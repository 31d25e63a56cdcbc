"""`%aml mlops`: the workspace (and, given a folder, an export or a repository) assessed against
Microsoft's five MLOps maturity levels, practice by practice.

    report = assess(client)                    # the connected workspace
    report = assess(client, "aml-export")      # and an exported folder or a repository
    report.level, report.to_dict()

    levels.py     the levels and which practice belongs to which (the level rules)
    practices.py  one check per practice: evidence found, next step when missing
    facts.py      the workspace's lists, read once through the client interface
    folder.py     what a folder holds: CLI v2 YAML, az ml scripts, CI/CD workflows
    report.py     MaturityReport: to_dict, text and HTML
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import AmlMagicError
from .facts import WorkspaceFacts
from .folder import scan_folder
from .practices import NOT_ASSESSED, PRACTICES, TITLES, Finding
from .report import MaturityReport

__all__ = ["assess", "MaturityReport", "Finding"]

_WHY_CHARS = 160  # of the error, in a not-assessed practice's next step


def assess(client: Any, folder: str | Path | None = None) -> MaturityReport:
    folder_facts = scan_folder(folder) if folder is not None else None
    facts = WorkspaceFacts(client)
    findings = []
    for practice, check in PRACTICES.items():
        try:
            findings.append(check(facts, folder_facts))
        except AmlMagicError as exc:  # one unreadable group (no permission, not supported) hides no other practice
            why = str(exc).split(". ")[0][:_WHY_CHARS]
            findings.append(Finding(practice, TITLES[practice], NOT_ASSESSED, [],
                                    f"could not read the workspace ({type(exc).__name__}: {why}): fix that, then run %aml mlops again"))
    return MaturityReport(str(client.workspace_name or "workspace"), client.backend,
                          str(folder_facts.root) if folder_facts else None, findings)
