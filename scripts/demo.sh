#!/usr/bin/env bash
# The README's first command: install, fill a demo instance and serve the kiosk on
# http://127.0.0.1:8000/kiosk (demo cards at /kiosk/demo-cards). Extra arguments go to
# `corner demo`, e.g. --port 8080.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/corner demo "$@"
