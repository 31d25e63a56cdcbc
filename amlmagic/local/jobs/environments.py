"""Realize a job's environment on this machine: the current interpreter when it already has
what the environment asks for, else a virtual environment built once per spec and reused.

    describe_environment(store, "azureml:my-env:1", base_path)  # at submit: a plain dict (JSON)
    python = realize(workspace_root, described, log)            # in the runner: the python to run
    python = realize_environment(client_or_workspace, environment, log)   # both in one call

Rules (our rules, for a machine without Docker):
- no environment, a curated Azure name (`AzureML-...`, `azureml://registries/azureml/...`), or an
  environment with only a Docker image or build context -> the current interpreter, with a
  one-line notice saying what a local run ignores;
- an environment with a conda file -> its pip and conda packages as pip requirements; when the
  current interpreter satisfies all of them it is reused, otherwise a venv is built under
  `<workspace>/envs/<hash of the requirements>/` with --system-site-packages (heavy packages such
  as torch stay shared), installing only what is missing, and a `.pth` pointing at the current
  interpreter's site-packages when that interpreter is itself a venv. `build.log` is kept there.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any, Callable

from ...errors import BackendError, NotFoundError, ValidationError
from ...rules import parse_asset_ref
from ..osutil import locked, write_bytes_atomic, write_json_atomic
from ..store import Store

__all__ = [
    "realize_environment", "describe_environment", "realize", "conda_requirements", "read_conda_file", "shim_python",
]

_CONDA_ONLY = {"python", "pip", "conda", "setuptools", "wheel"}  # provided by any venv


def _log_fn(log: Any) -> Callable[[str], None]:
    if log is None:
        return lambda line: None
    if callable(log):
        return log
    return lambda line: (log.write(line + "\n"), getattr(log, "flush", lambda: None)())


def _conda_to_pip(dep: str) -> str:
    """`numpy=1.26` (conda: 1.26.*) -> `numpy==1.26.*`; `numpy>=1` stays; channel prefix dropped."""
    dep = dep.split("::")[-1].strip()
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*=\s*([^=<>!~\s]+)(?:=\S+)?$", dep)
    if m:
        version = m[2]
        return f"{m[1]}=={version}" if version.count(".") >= 2 or "*" in version else f"{m[1]}=={version}.*"
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s+([^\s]+)$", dep)  # conda's "numpy 1.26"
    return f"{m[1]}=={m[2]}" if m else dep


def conda_requirements(conda: dict) -> tuple[list[str], str | None]:
    """(pip requirements, the python version asked for) of a conda file."""
    requirements, python = [], None
    for dep in conda.get("dependencies") or []:
        if isinstance(dep, dict):
            requirements.extend(str(p).strip() for p in dep.get("pip") or [] if str(p).strip())
            continue
        text = str(dep).strip()
        name = re.split(r"[=<>!~\s]", text.split("::")[-1], maxsplit=1)[0].lower()
        if name == "python":
            python = text.split("::")[-1][len("python"):].lstrip("=<>! ") or None
        elif name not in _CONDA_ONLY and text:
            requirements.append(_conda_to_pip(text))
    return requirements, python


def read_conda_file(conda_file: Any, base: Path) -> dict:
    """A conda file as a dict, from a dict, a path, or YAML text."""
    import yaml

    if isinstance(conda_file, dict):
        return conda_file
    path = Path(str(conda_file))
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise NotFoundError(f"conda file {path} does not exist: check conda_file / --conda-file")
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValidationError(f"conda file {path} is not valid YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise ValidationError(f"conda file {path} must be a mapping with 'dependencies'")
    return loaded


def _current(notice: str | None) -> dict:
    return {"kind": "current", "notice": notice, "requirements": []}


def _from_definition(definition: dict, label: str, base_path: Path) -> dict:
    conda = definition.get("conda_file")
    if conda is None:
        what = "Docker build context" if definition.get("build") else f"Docker image {definition.get('image')}"
        return _current(f"environment {label}: a local run ignores the {what} and uses the current Python")
    conda = read_conda_file(conda, base_path)
    requirements, python = conda_requirements(conda)
    ignored = [f"image {definition['image']}"] if definition.get("image") else []
    here = "{}.{}".format(*sys.version_info[:2])
    if python and not here.startswith(python.split("=")[0].rstrip(".*")):
        ignored.append(f"python {python} (using {here})")
    digest = hashlib.sha256(json.dumps(sorted(requirements)).encode()).hexdigest()[:16]
    notice = f"environment {label}: a local run ignores the {', '.join(ignored)}" if ignored else None
    return {"kind": "pip", "notice": notice, "requirements": requirements, "hash": digest, "label": label}


def _entity_definition(env: Any) -> dict:
    build = getattr(env, "build", None)
    return {
        "image": getattr(env, "image", None), "conda_file": getattr(env, "conda_file", None),
        "build": {"path": str(build.path)} if build is not None else None,
    }


def describe_environment(store: Store, environment: Any, base_path: Path | None = None) -> dict:
    """What to realize for a job's `environment` (a reference string, an inline dict, or an
    azure-ai-ml Environment), as a JSON-able dict. Raises NotFoundError for a missing one."""
    base_path = Path(base_path or os.getcwd())
    if environment is None or environment == "":
        return _current(None)
    if isinstance(environment, dict):
        return _from_definition(environment, "(inline)", base_path)
    if not isinstance(environment, str):  # an Environment entity
        name, version = getattr(environment, "name", None), getattr(environment, "version", None)
        if name and version and not str(name).startswith("CliV2Anonymous") and store.get_version("environments", name, str(version)):
            return describe_environment(store, f"azureml:{name}:{version}", base_path)
        return _from_definition(_entity_definition(environment), name or "(inline)",
                                Path(getattr(environment, "_base_path", None) or base_path))
    ref = parse_asset_ref(environment)
    if ref.registry == "azureml" or (ref.registry is None and ref.name.lower().startswith("azureml-")
                                      and not store.versions("environments", ref.name)):
        # A curated Azure environment: this machine's Python stands in for it (our rule).
        return _current(f"environment {environment} is curated by Azure ML: the local run uses the current Python")
    if ref.registry is not None:
        raise NotFoundError(f"environment {environment}: registry {ref.registry!r} is not available locally; register the environment in this workspace")
    version = ref.version or store.latest_version("environments", ref.name)
    record = store.get_version("environments", ref.name, version) if version else None
    if record is None:
        raise NotFoundError(f"environment {environment} not found: register it with %aml environment create, or fix the job's environment field")
    return _from_definition(record["spec"], f"{ref.name}:{version}", base_path)


def shim_python(workspace_root: Path, python: str) -> Path:
    """A bin folder whose `python`/`python3` run `python`, to put first on a job's PATH (a
    symlink would lose a venv's pyvenv.cfg)."""
    key = hashlib.sha256(python.encode()).hexdigest()[:12]
    folder = Path(workspace_root) / "envs" / f"bin-{key}"
    if not (folder / "python3").exists():
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("python", "python3"):
            write_bytes_atomic(folder / name, f'#!/bin/sh\nexec "{python}" "$@"\n'.encode(), mode=0o755)
    return folder


def _missing(requirements: list[str]) -> list[str]:
    """The requirements the current interpreter does not satisfy (unparseable ones count)."""
    from importlib import metadata

    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # pragma: no cover - packaging ships with pip's environments
        return list(requirements)
    missing = []
    for text in requirements:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            missing.append(text)  # an URL, a -r file, an option: let pip handle it
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            missing.append(text)
            continue
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            missing.append(text)
    return missing


def _build_venv(folder: Path, missing: list[str], log: Callable[[str], None]) -> None:
    log_path = folder / "build.log"
    folder.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as out:
        def run(cmd: list[str]) -> None:
            out.write("$ " + " ".join(cmd) + "\n")
            out.flush()
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for line in proc.stdout:
                out.write(line)
                out.flush()
                log(line.rstrip("\n"))
            if proc.wait() != 0:
                tail = log_path.read_text()[-2000:]
                raise BackendError(f"building environment {folder.name} failed ({cmd[2] if len(cmd) > 2 else cmd[0]}); build log {log_path}:\n{tail}")

        run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(folder / "venv")])
        if sys.prefix != sys.base_prefix:  # a venv's --system-site-packages skips the kernel's own
            site = Path(sysconfig.get_paths(vars={"base": str(folder / "venv"), "platbase": str(folder / "venv")})["purelib"])
            site.mkdir(parents=True, exist_ok=True)
            (site / "_amlmagic_parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        run([sys.executable, "-m", "pip", "--python", str(folder / "venv" / "bin" / "python"), "install",
             "--disable-pip-version-check", "--no-input", *missing])


def realize(workspace_root: Path, described: dict, log: Any = None) -> Path:
    """The python executable for a described environment, building its venv if needed."""
    say = _log_fn(log)
    if described.get("notice"):
        say(described["notice"])
    if described["kind"] == "current" or not described["requirements"]:
        return Path(sys.executable)
    missing = _missing(described["requirements"])
    if not missing:
        say(f"environment {described['label']}: the current Python has every requirement; reusing it")
        return Path(sys.executable)
    folder = Path(workspace_root) / "envs" / described["hash"]
    python = folder / "venv" / "bin" / "python"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with locked(folder.parent / f"{described['hash']}.lock"):  # one build per spec, others wait for it
        if (folder / "ready.json").is_file():
            say(f"environment {described['label']}: reusing {folder}")
            return python
        say(f"environment {described['label']}: building {folder} (installing {', '.join(missing)})")
        import shutil

        shutil.rmtree(folder / "venv", ignore_errors=True)
        _build_venv(folder, missing, say)
        write_json_atomic(folder / "ready.json", {"requirements": described["requirements"], "installed": missing})
        say(f"environment {described['label']}: built")
    return python


def realize_environment(client_or_workspace: Any, environment: Any, log: Any = None) -> Path:
    """The python executable that runs `environment` locally (an online deployment's or a job's);
    `log` is a callable taking one line, a writable file, or None. Builds once, then reuses."""
    workspace = getattr(client_or_workspace, "workspace", client_or_workspace)
    store = getattr(workspace, "store", None) or Store(Path(client_or_workspace))
    if isinstance(environment, dict) and "kind" in environment:
        described = environment
    else:
        described = describe_environment(store, environment, getattr(environment, "_base_path", None))
    return realize(store.root, described, log)
