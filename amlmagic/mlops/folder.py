"""What `%aml mlops --dir PATH` finds in an exported folder or a repository: CLI v2 YAML files,
scripts that run `az ml`, and CI/CD workflows (GitHub Actions `.github/workflows/*.yml`, Azure
Pipelines `azure-pipelines.yml`) that run `az ml`, directly or through such a script, with their
approval gate (a job on an environment)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError

__all__ = ["FolderFacts", "Workflow", "scan_folder", "MAX_FILES"]

MAX_FILES = 5000  # files looked at, at most (a repository with a vendored tree stays quick)
_SKIPPED = {".git", "node_modules", ".venv", "venv", "__pycache__", ".amlmagic", ".ipynb_checkpoints"}
_AZ_ML = re.compile(r"\baz\s+ml\s")
_SCRIPT = re.compile(r"(?:\b(?:bash|sh)\s+|\./)([\w./-]+\.sh)\b")
_AML_SCHEMA = re.compile(r"^\$schema:\s*\S*azuremlschemas", re.MULTILINE)


@dataclass
class Workflow:
    path: str  # relative to the folder
    system: str  # "GitHub Actions" | "Azure Pipelines"
    runs_az_ml: str | None  # how: "az ml" or the script that runs it; None when it does not
    gated: bool  # a deployment waits on an environment (approvals are set on it)


@dataclass
class FolderFacts:
    root: Path
    yaml_files: list[str] = field(default_factory=list)  # CLI v2 YAML (with an azuremlschemas $schema)
    scripts: list[str] = field(default_factory=list)  # shell scripts that run `az ml`
    workflows: list[Workflow] = field(default_factory=list)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _runs_az_ml(text: str, scripts: list[str]) -> str | None:
    if _AZ_ML.search(text):
        return "az ml"
    for name in _SCRIPT.findall(text):  # relative to the root, or to a job's working directory
        relative = os.path.normpath(name)
        found = next((s for s in scripts if s == relative or s.endswith("/" + relative)), None)
        if found:
            return found
    return None


def _gated(text: str, system: str) -> bool:
    """A job that runs on an environment (GitHub: `environment:` on a job; Azure Pipelines: a
    `deployment:` job with `environment:`), where reviewers approve before it starts."""
    import yaml

    try:
        flow = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    if not isinstance(flow, dict):
        return False
    if system == "GitHub Actions":
        jobs = list((flow.get("jobs") or {}).values()) if isinstance(flow.get("jobs"), dict) else []
        return any(isinstance(j, dict) and j.get("environment") for j in jobs)
    jobs = list(flow.get("jobs") or [])
    jobs += [j for stage in flow.get("stages") or [] if isinstance(stage, dict) for j in stage.get("jobs") or []]
    return any(isinstance(j, dict) and j.get("deployment") and j.get("environment") for j in jobs)


def _workflow_paths(root: Path) -> list[tuple[Path, str]]:
    found = [(p, "GitHub Actions") for p in sorted((root / ".github" / "workflows").glob("*.y*ml"))]
    found += [(root / name, "Azure Pipelines") for name in ("azure-pipelines.yml", "azure-pipelines.yaml", ".azure-pipelines.yml")
              if (root / name).is_file()]
    return found


def scan_folder(root: str | Path) -> FolderFacts:
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise UsageError(f"--dir {root} is not a folder: give an exported folder (%aml export --dir) or a repository")
    facts = FolderFacts(root)
    workflows = {p for p, _ in _workflow_paths(root)}
    seen = 0
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in _SKIPPED)
        for name in sorted(files):
            seen += 1
            if seen > MAX_FILES:
                break
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if path.suffix in (".yml", ".yaml") and path not in workflows and _AML_SCHEMA.search(_read(path)):
                facts.yaml_files.append(relative)
            elif path.suffix == ".sh" and _AZ_ML.search(_read(path)):
                facts.scripts.append(relative)
    for path, system in _workflow_paths(root):
        text = _read(path)
        facts.workflows.append(Workflow(path.relative_to(root).as_posix(), system,
                                        _runs_az_ml(text, facts.scripts), _gated(text, system)))
    return facts
