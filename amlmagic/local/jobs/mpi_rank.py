"""One rank of a `type: mpi` job under Open MPI's mpirun (mpi.py):
`python -I mpi_rank.py <rank table.json>`, started by mpirun once per rank.

It writes the rank's output to the rank's log, named as on Azure (user_logs/std_log_process_NN.txt),
adds the variables the own launcher sets that mpirun does not, and runs the job's command in a
session of its own: the kernel shares the CPU between sessions, and ranks in one session would get
one program's share (docs/distributed.md). mpirun's signals (its abort when a rank fails, the
runner's cancel) are passed on to that session. The command's pid and exit code are appended to
the table's record file for the runner. Standard library only: it starts once per rank, fast.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

__all__ = ["main"]

_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


def _record(path: str, entry: dict) -> None:
    # one short O_APPEND write per line: the ranks' lines never interleave
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (json.dumps(entry) + "\n").encode())
    finally:
        os.close(fd)


def main(argv: list[str]) -> int:
    with open(argv[0]) as f:
        table = json.load(f)
    rank = int(os.environ["OMPI_COMM_WORLD_RANK"])
    entry = table["ranks"][rank]
    log = os.open(entry["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    if table.get("preface"):
        os.write(log, table["preface"].encode())

    child: subprocess.Popen | None = None
    pending: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        if child is None:
            pending.append(signum)  # arrived before the command started: sent right after
            return
        try:
            os.killpg(child.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    for signum in _FORWARDED:
        signal.signal(signum, forward)
    child = subprocess.Popen(
        table["argv"], env={**os.environ, **entry["env"]}, stdin=subprocess.DEVNULL, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    _record(table["records"], {"rank": rank, "pid": child.pid})
    for signum in pending:
        forward(signum, None)
    code = child.wait()
    _record(table["records"], {"rank": rank, "code": code})
    return code if code >= 0 else 128 - code  # killed by a signal: the shell's convention


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
