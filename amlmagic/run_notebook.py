"""Run a notebook headless (nbclient) in its own folder, keep widget state, save it beside the
original, and print the outputs of its cells tagged `summary`. While it runs, print each cell's
progress and the statuses of the jobs and sweeps it waits on (amlmagic.notebook_progress).

    python -m amlmagic.run_notebook notebooks/mnist-lifecycle.ipynb [--fast] [--output PATH] [--quiet]

`--fast` sets AMLMAGIC_FAST=1 for the kernel: notebooks read it to use tiny data (the tests' mode).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TextIO

__all__ = ["run_notebook", "main"]


def run_notebook(path: Path, output: Path | None = None, *, fast: bool = False, timeout: int = 1200,
                 progress: TextIO | None = None) -> Path:
    """Execute the notebook; with `progress` (a stream), print its progress there."""
    import nbformat
    from nbclient import NotebookClient

    from .notebook_progress import CellProgress, JobWatcher, filtered_stderr

    path = Path(path).resolve()
    notebook = nbformat.read(path, as_version=4)
    if fast:
        os.environ["AMLMAGIC_FAST"] = "1"
    hooks, watcher = {}, None
    if progress is not None:
        watcher = JobWatcher(path.parent, progress).start()
        cells = CellProgress(notebook.cells, progress, watcher)
        hooks = {"on_cell_execute": cells.on_cell_execute, "on_cell_executed": cells.on_cell_executed}
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True, **hooks,
    )
    output = output or path.with_name(path.stem + ".executed.ipynb")
    kernel_stderr, copier = filtered_stderr()
    try:
        client.execute(stderr=kernel_stderr)  # passed on to the kernel's Popen
    finally:  # an executed notebook is worth keeping even when a cell failed
        kernel_stderr.close()
        copier.join(timeout=5)  # the kernel's last lines
        if watcher:
            watcher.stop()
        nbformat.write(notebook, output)
    return output


def summary_text(path: Path) -> str:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    texts = []
    for cell in notebook.cells:
        if "summary" in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    texts.append(out.get("text", ""))
                elif "data" in out and "text/plain" in out["data"]:
                    texts.append(out["data"]["text/plain"])
    return "".join(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--fast", action="store_true", help="tiny data, for tests")
    parser.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        print(f"error: {args.notebook} does not exist", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        output = run_notebook(args.notebook, args.output, fast=args.fast,
                              progress=None if args.quiet else sys.stdout)
    except Exception as exc:  # nbclient's CellExecutionError carries the failing cell's traceback
        print(f"error: the notebook failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
              file=sys.stderr)
        print(str(exc)[-3000:], file=sys.stderr)
        return 1
    print(summary_text(output).rstrip())
    print(f"\nexecuted in {time.perf_counter() - started:.0f} s; saved {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
