#!/usr/bin/env bash
# Set up a fresh machine for the tests and run them all: Python (with the MNIST extra), the
# static checks (ruff, vulture, import-linter's contracts from pyproject.toml: any finding fails
# the script), the widgets' JS (bundle freshness + vitest), Chromium for the real-browser tests,
# then pytest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Open MPI before the Python packages, so mpi4py finds its library (and mpicc, if it builds).
if ! command -v mpirun >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null) \
    || echo "could not install Open MPI: the mpirun launch tests will be skipped" >&2
fi

python -m pip install --quiet --upgrade "pip>=24"
python -m pip install --quiet -e ".[test,mnist]"

# Static checks before the (long) tests: pyflakes/isort/bugbear, dead code, the import rules.
ruff check amlmagic tests benchmarks scripts
vulture
lint-imports

if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "could not install chromium: the browser tests will be skipped" >&2
fi

if command -v npm >/dev/null; then
  bash scripts/check-js-bundle.sh
  (cd js && npx vitest run)
else
  echo "npm not found: the JS bundle check and vitest are skipped" >&2
fi

python -m pytest "$@"
