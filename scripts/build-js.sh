#!/usr/bin/env bash
# Rebuild the widgets' front-end bundle (js/src -> amlmagic/widgets/static/). Needs Node and npm.
set -euo pipefail
cd "$(dirname "$0")/../js"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
node build.mjs
echo "built: $(ls ../amlmagic/widgets/static/)"
