#!/usr/bin/env bash
# Creates tools/reference/.venv with the pinned versions of requirements.txt (idempotent), then runs
# the arguments with its python, if any:
#   bun run reference:setup                      # the environment only
#   bun run reference:parity                     # … and regenerate packages/gpt2/reference/
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/requirements.txt"
  echo "reference: $venv ready ($(grep -c '==' "$here/requirements.txt") pinned packages)"
fi
if [ $# -gt 0 ]; then exec "$venv/bin/python" "$@"; fi
