#!/usr/bin/env bash
# Set up everything the course needs: a virtual environment in .venv with the tested
# requirements (requirements.txt) and the transferlab package installed in editable mode.
# Usage: bash setup.sh        (then: .venv/bin/python -m pytest)
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10 or newer is needed"'
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
.venv/bin/python -m pip install --quiet --no-deps -e .
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
if .venv/bin/python -c 'import torch' 2>/dev/null; then
  echo "setup.sh: torch is installed in .venv; the course must not need it" >&2
  exit 1
fi
echo "Set up: $(.venv/bin/transferlab --version) in .venv. Next: .venv/bin/python -m pytest"
