#!/usr/bin/env bash
# The README's second command (and CI's): install what the tests need, lint, run every test.
# Nothing is skipped: a missing browser, font or reader stack fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
export CI="${CI:-true}"
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
