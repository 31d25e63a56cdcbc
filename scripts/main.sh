#!/usr/bin/env bash
# The main job: run the MNIST train-tune-deploy notebook headless on the local backend, print
# its summary, and leave the executed notebook beside the original
# (notebooks/mnist-lifecycle.executed.ipynb, with widget state and static fallbacks).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Install amlmagic from this checkout with the mnist extra (torch, torchvision) unless it already
# is: reinstalling an editable package on every run is slow and briefly breaks other users of it.
installed="$(python -c 'import amlmagic, torch, torchvision, nbclient, os; print(os.path.dirname(os.path.dirname(amlmagic.__file__)))' 2>/dev/null || true)"
if [ "$installed" != "$root" ]; then
    python -m pip install --quiet --upgrade "pip>=24"
    python -m pip install --quiet -e ".[mnist]"
fi
python -m amlmagic.run_notebook notebooks/mnist-lifecycle.ipynb "$@"
