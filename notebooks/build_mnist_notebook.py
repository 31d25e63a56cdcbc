"""Write notebooks/mnist-lifecycle.ipynb: MNIST through Azure ML's lifecycle with `%aml` magics.

    python notebooks/build_mnist_notebook.py      # rewrites the .ipynb beside this file

The notebook is kept as Python here so that a review reads cells, not JSON. It runs in
notebooks/ (its YAML is in notebooks/mnist/). AMLMAGIC_FAST=1 (`run_notebook --fast`, the tests)
switches one early cell to tiny synthetic digits, one epoch and three trials.
"""

from __future__ import annotations

import os
import sys

__all__ = ["CELLS", "build_notebook", "main"]

NOTEBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnist-lifecycle.ipynb")


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the cells_*.py beside this file
from cells_batch import BATCH_CELLS  # noqa: E402
from cells_mlops import MLOPS_CELLS  # noqa: E402
from cells_operate import OPERATE_CELLS  # noqa: E402
from cells_serve import SERVE_CELLS  # noqa: E402
from cells_train import TRAIN_CELLS  # noqa: E402

CELLS = TRAIN_CELLS + SERVE_CELLS + BATCH_CELLS + MLOPS_CELLS + OPERATE_CELLS


def build_notebook():
    import nbformat
    from nbformat import v4

    notebook = v4.new_notebook()
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, (kind, source, tags) in enumerate(CELLS):
        cell = v4.new_markdown_cell(source) if kind == "markdown" else v4.new_code_cell(source)
        cell["id"] = f"cell-{index:02d}"  # stable ids: the JSON diff shows only real changes
        if tags:
            cell.metadata["tags"] = tags
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def main(argv=None):
    import nbformat

    target = (argv or sys.argv[1:] or [NOTEBOOK])[0]
    notebook = build_notebook()
    tmp = f"{target}.tmp-{os.getpid()}"
    nbformat.write(notebook, tmp)
    os.replace(tmp, target)
    print(f"wrote {target} ({len(notebook.cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
