"""Inputs as read-only paths: Azure mounts `ro_mount` inputs read-only, and our rule makes every
input mode (`ro_mount`, `download`, `direct`) a read-only local path. The local paths are the
registered assets themselves (no copy), so a script that wrote to its input would change a
registered version. Where Linux mount namespaces are available, the job's command runs in a
private one in which each input path is bind-mounted read-only: a write fails with "Read-only
file system", as on Azure, and nothing outside the job sees the mounts. Elsewhere (macOS, a
container without namespaces) inputs are read in place and the job's log says so once."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile

__all__ = ["readonly_command", "namespaces_available", "UNPROTECTED_NOTICE"]

UNPROTECTED_NOTICE = ("amlmagic: this machine has no mount namespaces, so the job's inputs are not "
                      "write-protected as Azure's ro_mount would make them: do not write to them\n")

# Mounts every path given after the script's name read-only.
_MOUNT_INPUTS = 'for p; do mount --bind "$p" "$p" && mount -o remount,bind,ro "$p" || exit 97; done'
# ... then runs the job's command (taken from the environment, so it needs no quoting here;
# removed before the command sees it).
# An output folder inside an input (a pipeline step writing under the datastore folder it reads)
# is mounted again, writable, over the read-only one: on Azure they are separate mounts too.
_MOUNT_OUTPUTS = ('printf "%s\\n" "$AMLMAGIC_JOB_WRITABLE" | while IFS= read -r w; do '
                  '[ -z "$w" ] || { mount --bind "$w" "$w" && mount -o remount,bind,rw "$w"; } || exit 97; done || exit 97')
_MOUNT_SCRIPT = (
    f'{_MOUNT_INPUTS}; {_MOUNT_OUTPUTS}; cmd=$AMLMAGIC_JOB_COMMAND; sh=$AMLMAGIC_JOB_SHELL; '
    'unset AMLMAGIC_JOB_COMMAND AMLMAGIC_JOB_SHELL AMLMAGIC_JOB_WRITABLE; exec "$sh" -c "$cmd"'
)


def _unshare_argv() -> list[str] | None:
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    # root may create a mount namespace; anyone else needs a user namespace for it
    return [unshare, "-m", "--propagation", "private", *([] if os.getuid() == 0 else ["-r"])]


@functools.lru_cache(maxsize=1)
def namespaces_available() -> bool:
    """Can this process run a command with a path bind-mounted read-only? Tried once, for real."""
    prefix = _unshare_argv()
    if prefix is None:
        return False
    with tempfile.TemporaryDirectory(prefix="amlmagic-ro-probe-") as probe:
        script = f'{_MOUNT_INPUTS}; touch "$1/written" 2>/dev/null && exit 98; exit 0'
        try:
            done = subprocess.run([*prefix, "/bin/sh", "-c", script, "probe", probe],
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0 and not os.path.exists(os.path.join(probe, "written"))


def readonly_command(shell: str, command: str, paths: list[str], env: dict,
                     writable: list[str] = ()) -> list[str] | None:
    """The argv that runs `command` with `paths` read-only (and sets what it needs in `env`), or
    None when there is nothing to protect or no way to protect it. `writable` folders (outputs)
    stay writable where they sit inside a read-only path."""
    paths = [p for p in dict.fromkeys(paths) if os.path.exists(p)]
    if not paths or not namespaces_available():
        return None
    inside = [w for w in dict.fromkeys(writable) if os.path.isdir(w)
              and any(os.path.commonpath([os.path.realpath(w), os.path.realpath(p)]) == os.path.realpath(p)
                      for p in paths)]
    env["AMLMAGIC_JOB_COMMAND"] = command
    env["AMLMAGIC_JOB_SHELL"] = shell
    env["AMLMAGIC_JOB_WRITABLE"] = "\n".join(inside)
    return [*_unshare_argv(), "/bin/sh", "-c", _MOUNT_SCRIPT, "amlmagic-inputs", *paths]
