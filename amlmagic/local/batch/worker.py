"""One batch worker process: `python -m amlmagic.local.batch.worker CONFIG INDEX TASK_FD RESULT_FD`,
run by the deployment's environment's Python with the scoring script's folder as its working
directory. It imports the scoring script, calls `init()` once, then `run(mini_batch)` for each
mini-batch the driver sends (a list of file paths), and answers with how many items came back
and their `append_row` lines (output.py). Messages are JSON lines on two pipes, so the script's
own prints go to its log untouched.

It dies with its driver (PR_SET_PDEATHSIG): a killed driver leaves no worker behind.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import json
import logging
import os
import sys
import traceback

from .output import count_items, format_rows

__all__ = ["main", "load_scoring_module"]

_PR_SET_PDEATHSIG = 1
_TRACEBACK_CHARS = 4000


def _die_with_parent(parent: int) -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, 9)
    except (OSError, AttributeError):  # not Linux: the driver still kills its workers on cancel
        return
    if os.getppid() != parent:  # the driver died before the signal was armed
        os._exit(1)


def load_scoring_module(config: dict):
    """The scoring script as a module (its folder first on sys.path, as Azure runs it), or the
    no-code MLflow scorer."""
    if config.get("module"):
        return importlib.import_module(config["module"])
    path = os.path.join(config["code_dir"], config["script"])
    for folder in (os.path.dirname(path), config["code_dir"]):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _tail(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))[-_TRACEBACK_CHARS:]


def main(argv: list[str] | None = None) -> int:
    config_path, _index, task_fd, result_fd, parent = (argv or sys.argv[1:])[:5]
    _die_with_parent(int(parent))
    sys.stdout.reconfigure(line_buffering=True)
    with open(config_path) as f:
        config = json.load(f)
    logging.basicConfig(level=str(config.get("logging_level") or "info").upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    tasks = os.fdopen(int(task_fd), "r", encoding="utf-8")
    results = os.fdopen(int(result_fd), "w", encoding="utf-8")

    def send(message: dict) -> None:
        results.write(json.dumps(message) + "\n")
        results.flush()

    script = config.get("script") or config.get("module")
    try:
        module = load_scoring_module(config)
        missing = [f for f in ("init", "run") if not callable(getattr(module, f, None))]
        if missing:
            send({"init_error": f"the scoring script {script} has no {' and no '.join(f + '()' for f in missing)}: "
                                "define init() and run(mini_batch)"})
            return 1
        module.init()
    except BaseException as exc:  # the script's own failure: reported, the driver decides
        send({"init_error": f"init() of {script} failed: {type(exc).__name__}: {exc}", "traceback": _tail(exc)})
        return 1
    send({"ready": os.getpid()})
    summary_only = config.get("output_action") == "summary_only"
    for line in tasks:
        task = json.loads(line)
        try:
            result = module.run(list(task["files"]))
            returned = count_items(result)
            text = "" if summary_only else format_rows(result)
        except BaseException as exc:
            send({"id": task["id"], "ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": _tail(exc)})
            continue
        send({"id": task["id"], "ok": True, "returned": returned, "text": text})
    return 0


if __name__ == "__main__":
    sys.exit(main())
