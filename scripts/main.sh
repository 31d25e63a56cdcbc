#!/usr/bin/env bash
# The main job: run the MNIST train-tune-deploy notebook headless on the local backend, print
# its summary, and leave the executed notebook beside the original.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

python -m pip install --quiet --upgrade "pip>=24"
python -m pip install --quiet -e ".[mnist]"
python -m amlmagic.run_notebook notebooks/mnist-lifecycle.ipynb "$@"
