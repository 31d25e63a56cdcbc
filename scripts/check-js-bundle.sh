#!/usr/bin/env bash
# Rebuild the widgets' bundle in a temp folder and fail if the committed one differs (stale).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/js"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
AML_WIDGETS_OUTDIR="$tmp" node build.mjs
if ! diff -r -q "$tmp" "$root/amlmagic/widgets/static"; then
  echo "amlmagic/widgets/static/ is stale: run scripts/build-js.sh and commit the result" >&2
  exit 1
fi
echo "widget bundle is up to date"
