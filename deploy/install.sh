#!/bin/sh
# Install guanai into a Python virtual environment. The one install step of every way guanai
# is set up: `make test` and `make demo` (a developer's checkout), the container image
# (deploy/Containerfile) and a server installed by hand (docs/operations.md).
#
#   deploy/install.sh [--dev] VENV
#
#   --dev   an editable install with the test tools, for a developer's checkout; as root on a
#           machine with apt-get that lacks /usr/bin/chromium or a Chinese font, it also installs
#           Debian's chromium and fonts-noto-cjk: the real browser that tests/test_node_web_*.py
#           drive, and the font their screenshots need (CI runs as root)
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
    # What the tests drive or render with comes from Debian, as root: the browser for the web
    # pages (never `playwright install`, which downloads from outside), a CJK font, and
    # pdftoppm and LibreOffice to render the printed official tables (tests/test_printing.py).
    cjk=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
    if { [ ! -x /usr/bin/chromium ] || [ ! -e "$cjk" ] || ! command -v pdftoppm >/dev/null 2>&1 \
            || ! command -v soffice >/dev/null 2>&1; } && [ "$(id -u)" = 0 ] \
            && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            poppler-utils libreoffice-calc-nogui
    fi
else
    "$venv/bin/python" -m pip install --quiet "$source_dir"
fi
"$venv/bin/guanai" --version
