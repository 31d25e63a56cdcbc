"""`MaturityReport`: the practices found, the level achieved, as plain data (`to_dict`), text and
HTML (`_repr_mimebundle_`, the static form of the `MaturityTable` widget)."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from typing import Any

from .levels import LEVELS, PRACTICE_LEVELS, achieved_level, level_name
from .practices import NOT_ASSESSED, PRESENT, Finding

__all__ = ["MaturityReport", "STATUS_MARKS"]

STATUS_MARKS = {PRESENT: "✓", "missing": "✗", NOT_ASSESSED: "?"}
_STYLE = ("font:13px system-ui,sans-serif;border:1px solid rgba(128,128,128,0.4);border-radius:6px;padding:8px;"
          "max-width:1100px")


@dataclass
class MaturityReport:
    workspace: str
    backend: str
    folder: str | None
    findings: list[Finding]

    @property
    def level(self) -> int:
        return achieved_level(f.practice for f in self.findings if f.status == PRESENT)

    @property
    def level_name(self) -> str:
        return level_name(self.level)

    def finding(self, practice: str) -> Finding:
        return next(f for f in self.findings if f.practice == practice)

    def to_dict(self) -> dict[str, Any]:
        level = self.level
        return {
            "workspace": self.workspace, "backend": self.backend, "folder": self.folder,
            "level": level, "level_name": level_name(level),
            "levels": [{"level": n, "name": name, "summary": summary, "achieved": n <= level}
                       for n, (name, summary) in LEVELS.items()],
            "practices": [{**asdict(f), "level": PRACTICE_LEVELS[f.practice]} for f in self.findings],
        }

    def __repr__(self) -> str:
        return f"MaturityReport(level={self.level}, workspace={self.workspace!r}, folder={self.folder!r})"

    def text(self) -> str:
        where = self.workspace + (f" + {self.folder}" if self.folder else "")
        lines = [f"MLOps maturity of {where} ({self.backend}): level {self.level}, {self.level_name}"]
        for n, (name, _summary) in LEVELS.items():
            if n == 0:
                continue
            lines.append(f"level {n}, {name}:")
            for f in (f for f in self.findings if PRACTICE_LEVELS[f.practice] == n):
                lines.append(f"  {STATUS_MARKS[f.status]} {f.title}: {f.status}")
                lines += [f"      {e}" for e in f.evidence]
                if f.next_step:
                    lines.append(f"      next: {f.next_step}")
        return "\n".join(lines)

    def html(self) -> str:
        esc = html.escape
        rows = []
        for f in sorted(self.findings, key=lambda f: PRACTICE_LEVELS[f.practice]):
            evidence = "<br>".join(esc(e) for e in f.evidence) or "—"
            rows.append(
                f"<tr data-practice='{esc(f.practice)}' data-status='{esc(f.status)}'>"
                f"<td style='padding:2px 8px'>{PRACTICE_LEVELS[f.practice]}</td>"
                f"<td style='padding:2px 8px'>{esc(f.title)}</td>"
                f"<td style='padding:2px 8px;white-space:nowrap'>{STATUS_MARKS[f.status]} {esc(f.status)}</td>"
                f"<td style='padding:2px 8px'>{evidence}</td>"
                f"<td style='padding:2px 8px'>{esc(f.next_step) or '—'}</td></tr>")
        head = "".join(f"<th style='text-align:left;padding:2px 8px'>{h}</th>"
                       for h in ("level", "practice", "status", "evidence", "next step"))
        ladder = " → ".join(f"<b>{n} {esc(name)}</b>" if n == self.level else f"{n} {esc(name)}"
                            for n, (name, _s) in LEVELS.items())
        where = esc(self.workspace) + (f" + {esc(self.folder)}" if self.folder else "")
        return (f"<div class='amlmagic-static aml-maturity' style='{_STYLE}'>"
                f"<div style='font-weight:600'>MLOps maturity of {where}: level {self.level}, "
                f"{esc(self.level_name)}</div><div style='margin:4px 0;font-size:12px'>{ladder}</div>"
                f"<table style='border-collapse:collapse;font-size:12px'><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table></div>")

    def _repr_mimebundle_(self, **_kwargs: Any) -> dict[str, str]:
        return {"text/plain": self.text(), "text/html": self.html()}
