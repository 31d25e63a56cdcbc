"""The local engine's OS helpers (amlmagic/local/osutil.py) on real files and real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from support import wait_for

from amlmagic.local import osutil


def test_atomic_write_fsyncs_the_file_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync folder" if os.path.isdir(f"/proc/self/fd/{fd}") else "fsync file")
        real_fsync(fd)

    def replace(src, dst):
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    osutil.write_json_atomic(tmp_path / "sub" / "state.json", {"status": "Running"})
    assert events == ["fsync file", "rename", "fsync folder"]
    assert osutil.read_json(tmp_path / "sub" / "state.json") == {"status": "Running"}


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "record.json"
    osutil.write_text_atomic(path, "old")

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        osutil.write_text_atomic(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]


def test_mode_makes_an_executable(tmp_path):
    osutil.write_bytes_atomic(tmp_path / "python", b"#!/bin/sh\necho hi\n", mode=0o755)
    assert subprocess.run([str(tmp_path / "python")], capture_output=True, text=True).stdout == "hi\n"


HOLDER = textwrap.dedent("""\
    import sys, time
    from amlmagic.local import osutil
    with osutil.locked(sys.argv[1]):
        print("held", flush=True)
        sys.stdin.readline()
""")


def test_locks_exclude_other_processes_and_re_enter_in_a_thread(tmp_path):
    path = tmp_path / "locks" / "x.lock"
    with osutil.locked(path):
        with osutil.locked(path):  # the same thread again: no deadlock
            pass
    env = {**os.environ, "PYTHONPATH": osutil.PACKAGE_PARENT}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline() == "held\n"
        assert osutil.try_lock(path) is None
        shared = osutil.open_lock(path, shared=True, wait=False)
        assert shared is None  # an exclusive holder excludes readers too
    finally:
        holder.stdin.close()
        holder.wait(30)
    mine = osutil.try_lock(path)
    assert mine is not None  # the holder's exit freed it
    mine.close()


def test_process_identity_and_kill_tree(tmp_path):
    me = os.getpid()
    assert osutil.process_alive(me, osutil.process_start_time(me))
    assert not osutil.process_alive(me, "not-its-start-time")  # a reused pid is another process
    assert not osutil.process_alive(None) and osutil.process_start_time(-1) is None
    tree = subprocess.Popen(["bash", "-c", "sleep 60 & sleep 60 & wait"], start_new_session=True)
    try:
        children = wait_for(lambda: len(osutil.descendants(tree.pid)) >= 2 and osutil.descendants(tree.pid),
                            what="two sleeping children")
        osutil.kill_tree(tree.pid, signal.SIGKILL)
        tree.wait(10)
        wait_for(lambda: not any(osutil.process_alive(pid) for pid in children), what="the children gone")
    finally:
        if tree.poll() is None:
            tree.kill()
    assert not osutil.process_alive(tree.pid)  # reaped


def test_launch_detached_runs_a_module_in_its_own_session_with_amlmagic_importable(tmp_path):
    log = tmp_path / "out.log"
    log.write_text("before\n")
    script = tmp_path / "probe.py"
    script.write_text("import os, amlmagic\nprint('sid', os.getsid(0) == os.getpid(), flush=True)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    pid = osutil.launch_detached("probe", log=log, cwd=tmp_path, env={**env, "PYTHONPATH": str(tmp_path)})
    wait_for(lambda: "sid" in log.read_text(), what="the detached process's output")
    assert log.read_text() == "before\nsid True\n"  # appended; its own session; amlmagic imported
    wait_for(lambda: not osutil.process_alive(pid), what="the process reaped")
