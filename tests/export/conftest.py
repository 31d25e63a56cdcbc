"""Helpers for export tests: load every exported YAML with azure-ai-ml's loaders, and run an
exported deploy.sh with real bash where `az ml ...` is answered by this process's `%aml`.

The `az` on PATH is a small script that sends its arguments and working folder over a unix
socket to a server thread here, which drops the workspace flags and runs the same line through
`amlmagic.magics.run_aml` against the local backend (`--query name -o tsv` prints the name).
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

LOADERS = {
    "data": "load_data", "environment": "load_environment", "model": "load_model", "compute": "load_compute",
    "datastore": "load_datastore", "job": "load_job", "online-endpoint": "load_online_endpoint",
    "online-deployment": "load_online_deployment", "component": "load_component",
}

_AZ_SCRIPT = """#!{python}
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect({socket!r})
s.sendall(json.dumps({{"args": sys.argv[1:], "cwd": os.getcwd()}}).encode() + b"\\n")
reply = json.loads(s.makefile().readline())
sys.stdout.write(reply["out"])
sys.stderr.write(reply["err"])
sys.exit(reply["code"])
"""

_DROPPED = {"--subscription", "--resource-group", "-g", "--workspace-name", "-w", "--query", "-o", "--output"}


def exported_yamls(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.yml") if p.stem in LOADERS)


def load_exported(path: Path):
    import azure.ai.ml as aml

    return getattr(aml, LOADERS[path.stem])(str(path))


def az_to_aml(args: list[str]) -> tuple[str, bool]:
    """`ml noun verb ... --query name -o tsv -g G` -> (the %aml line, whether the name is wanted)."""
    assert args[0] == "ml", args
    words, wants_name, skip = [], False, False
    for i, arg in enumerate(args[1:]):
        if skip:
            skip = False
            continue
        if arg in _DROPPED:
            wants_name = wants_name or (arg == "--query" and args[i + 2] == "name")
            skip = True
            continue
        words.append(arg)
    return " ".join(shlex.quote(w) for w in words), wants_name


class AzShim:
    def __init__(self, folder: Path):
        self.folder = folder
        self.socket_path = str(folder / "az.sock")
        self.lines: list[str] = []
        self.bin = folder / "bin"
        self.bin.mkdir()
        (self.bin / "az").write_text(_AZ_SCRIPT.format(python=sys.executable, socket=self.socket_path))
        (self.bin / "az").chmod(0o755)
        self._server = socket.socket(socket.AF_UNIX)
        self._server.bind(self.socket_path)
        self._server.listen()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        from amlmagic.magics import run_aml

        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                request = json.loads(conn.makefile().readline())
                line, wants_name = az_to_aml(request["args"])
                self.lines.append(line)
                here = os.getcwd()
                os.chdir(request["cwd"])
                try:
                    result = run_aml(line)
                    reply = {"out": f"{result.name}\n" if wants_name else "", "err": "", "code": 0}
                except Exception as exc:  # the script must see the failure (set -e)
                    reply = {"out": "", "err": f"{type(exc).__name__}: {exc}\n", "code": 1}
                finally:
                    os.chdir(here)
                conn.sendall(json.dumps(reply).encode() + b"\n")

    def run(self, script: Path, **env: str) -> subprocess.CompletedProcess:
        full = {**os.environ, "PATH": f"{self.bin}:{os.environ['PATH']}", **env}
        return subprocess.run(["bash", str(script)], capture_output=True, text=True, env=full, timeout=600)

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def az_shim(tmp_path_factory):
    shim = AzShim(tmp_path_factory.mktemp("az"))
    yield shim
    shim.close()


def stop_endpoints(workspace_root: Path) -> None:
    from amlmagic.local.serving import stop_endpoint

    for folder in (workspace_root / "endpoints").glob("*"):
        stop_endpoint(folder)
