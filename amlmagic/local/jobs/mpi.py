"""Launching a `type: mpi` job with Open MPI's `mpirun`, as Azure ML does on a cluster
(../shared/azureml-semantics-2.md, section 3.1: Azure builds the `mpirun` launch itself).

    launcher = choose_launcher(dist, env)         # the one rule: "mpirun" or "own", and why
    argv = mpirun_command(launcher, folder, launches, command_argv, nodes)   # writes the rank table
    first = first_failure(read_records(folder))   # after mpirun ended: (rank, code) or None

Our rule (docs/distributed.md), decided here and nowhere else: a `type: mpi` job launches with
`mpirun` when Open MPI's `mpirun` is on the job's PATH and the job's environment does not set
AMLMAGIC_MPI_LAUNCHER=own; every other job (and an mpi job without Open MPI) uses the runner's
own launcher, which starts one process per rank with the same variables.

Under mpirun each rank is `mpi_rank.py` (stdlib only, run by path so it starts fast): it writes
the rank's output to the log named as on Azure, adds the variables the own launcher sets that
mpirun does not, runs the job's command in a session of its own and records its pid and exit
code, so the runner can name the rank that failed first and stop what a rank left behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..osutil import write_json_atomic

__all__ = [
    "FORCE_VARIABLE", "Launcher", "choose_launcher", "open_mpi_version", "slots", "mpirun_argv",
    "rank_env", "mpirun_command", "read_records", "first_failure",
]

FORCE_VARIABLE = "AMLMAGIC_MPI_LAUNCHER"  # "own": never mpirun, even where Open MPI is installed
_RANK_SCRIPT = Path(__file__).with_name("mpi_rank.py")
_TABLE, _RECORDS = "mpirun_ranks.json", "mpirun_ranks.log"  # in the job's folder


@dataclass(frozen=True)
class Launcher:
    kind: str                   # "mpirun" or "own"
    reason: str                 # one line for the job's log
    mpirun: str | None = None   # the path of Open MPI's mpirun


def open_mpi_version(mpirun: str) -> str | None:
    """'4.1.4' when `mpirun` is Open MPI's (orterun, prterun), else None (MPICH's or Intel's
    Hydra take other flags)."""
    try:
        done = subprocess.run([mpirun, "--version"], capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"Open MPI\)?\s*v?([0-9][0-9.]*)", done.stdout + done.stderr)
    return found.group(1) if found else None


def choose_launcher(dist: Mapping[str, Any] | None, env: Mapping[str, str]) -> Launcher:
    """Which launcher starts the job's processes (the rule above); `env` is the job's own
    environment (its PATH is searched)."""
    if not dist or dist.get("type") != "mpi":
        return Launcher("own", "the runner starts each process")
    if str(env.get(FORCE_VARIABLE, "")).lower() == "own":
        return Launcher("own", f"{FORCE_VARIABLE}=own: the runner starts each rank with Open MPI's variables")
    mpirun = shutil.which("mpirun", path=env.get("PATH") or os.defpath)
    if mpirun is None:
        return Launcher("own", "no mpirun on PATH: the runner starts each rank with Open MPI's variables")
    version = open_mpi_version(mpirun)
    if version is None:
        return Launcher("own", f"{mpirun} is not Open MPI's: the runner starts each rank with Open MPI's variables")
    return Launcher("mpirun", f"Open MPI {version}: {mpirun}", mpirun)


def slots() -> int:
    """The processes Open MPI places on this machine without oversubscribing: its physical
    cores (not hardware threads) among the CPUs this process may use."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    cores = set()
    for cpu in allowed:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add(((topology / "physical_package_id").read_text().strip(), (topology / "core_id").read_text().strip()))
        except OSError:
            cores.add(("cpu", str(cpu)))
    return max(1, len(cores))


def mpirun_argv(launcher: Launcher, processes: int, program: list[str]) -> list[str]:
    """mpirun's command line as Azure builds it for one node, adapted to a shared machine:
    `--bind-to none` so the project's own thread split (scheduling.thread_env) applies, and
    `--oversubscribe` when there are more ranks than Open MPI counts slots."""
    argv = [launcher.mpirun, "-np", str(processes), "--bind-to", "none"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-run-as-root")
    if processes > slots():
        argv.append("--oversubscribe")
    return [*argv, *program]


def rank_env(env: Mapping[str, str], nodes: int) -> dict[str, str]:
    """What a rank adds to mpirun's environment: the own launcher's variables (distribution.py)
    except the ones mpirun sets itself. With several simulated nodes on this one machine, mpirun
    counts one node, so a rank's node-local Open MPI variables are the simulated node's, as
    under the own launcher (MPI itself places ranks by its runtime, not by these variables)."""
    set_by_mpirun = {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"}
    if nodes == 1:
        set_by_mpirun |= {"OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE", "OMPI_COMM_WORLD_NODE_RANK"}
    return {key: value for key, value in env.items() if key not in set_by_mpirun}


def mpirun_command(launcher: Launcher, folder: Path, launches: list[dict], command: list[str], nodes: int,
                   preface: str = "") -> list[str]:
    """mpirun's argv for the job in `folder`, whose ranks are `launches` (rank order: each with
    its log in user_logs/ and its variables). Writes the table every rank wrapper reads: per rank
    its log and added variables, the command's argv, where to record pids and exit codes, and
    text each log starts with. The wrapper runs isolated from the job's PYTHON* variables (it
    needs only the standard library)."""
    table = folder / _TABLE
    write_json_atomic(table, {
        "ranks": [{"log": str(folder / "user_logs" / launch["log"]), "env": rank_env(launch["env"], nodes)}
                  for launch in launches],
        "argv": command, "records": str(folder / _RECORDS), "preface": preface,
    })
    return mpirun_argv(launcher, len(launches), [sys.executable, "-I", str(_RANK_SCRIPT), str(table)])


def read_records(folder: Path) -> list[dict]:
    """The rank wrappers' records for the job in `folder`, in the order they were written:
    {"rank", "pid"} when a rank's command started, {"rank", "code"} when it ended."""
    try:
        lines = (folder / _RECORDS).read_text().splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        try:
            found.append(json.loads(line))
        except ValueError:  # a wrapper killed mid-write
            continue
    return found


def first_failure(records: list[dict]) -> tuple[int, int] | None:
    """(rank, exit code) of the first rank whose command ended non-zero, or None. A failing
    rank records its code before its wrapper exits, so before mpirun stops the others."""
    for record in records:
        if record.get("code") not in (None, 0):
            return int(record["rank"]), int(record["code"])
    return None
