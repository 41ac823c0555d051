#!/bin/sh
# Install guanai into a Python virtual environment. The one install step of every way guanai
# is set up: `make test` and `make demo` (a developer's checkout), the container image
# (deploy/Containerfile) and a server installed by hand (docs/operations.md).
#
#   deploy/install.sh [--dev] VENV
#
#   --dev   an editable install with the test tools, for a developer's checkout
#   (none)  a plain install of this source tree, for a server or the image
#
# $PYTHON names the interpreter (Python >= 3.11; default python3). A VENV that already exists
# is used as it is. pip's own settings apply (PIP_INDEX_URL for a local mirror, …).
set -eu

dev=0
if [ "${1:-}" = "--dev" ]; then
    dev=1
    shift
fi
venv=${1:?usage: deploy/install.sh [--dev] VENV}
source_dir=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
if [ "$dev" = 1 ]; then
    "$venv/bin/python" -m pip install --quiet -e "$source_dir[dev]"
else
    "$venv/bin/python" -m pip install --quiet "$source_dir"
fi
"$venv/bin/guanai" --version
