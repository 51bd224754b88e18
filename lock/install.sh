#!/usr/bin/env bash
# Install perpkeep and exactly the locked versions of its dependencies into the current Python 3.11
# (a virtual environment if one is active).
#
#   bash lock/install.sh        runtime: the demo and the keepers   (lock/runtime.txt)
#   bash lock/install.sh ml     and the training stack of learned strategies (lock/ml.txt)
#   bash lock/install.sh dev    and the test suite, the training stack and code generators (lock/dev.txt), the Debian
#                               packages the tests run for real (deploy/system-packages.sh) and the
#                               locked @solana/web3.js client of the RPC tests (tests/js, npm ci)
#
# Every file is checked against the sha256 in the lock, and nothing outside the lock is installed: the
# project itself is built without build isolation, by the locked setuptools. `python3 lock/update.py`
# moves the lock forward.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-runtime}" in
  runtime) lock=lock/runtime.txt ;;
  ml) lock=lock/ml.txt ;;
  dev) lock=lock/dev.txt ;;
  *) echo "usage: bash lock/install.sh [runtime|ml|dev]" >&2; exit 2 ;;
esac

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "error: perpkeep needs Python 3.11; $python is $("$python" -V 2>&1) (set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi

pip=("$python" -m pip --disable-pip-version-check install --quiet)
# torch's CPU build (lock/ml.txt, lock/dev.txt) is not on PyPI: these machines carry it in /opt/wheels.
if [[ -d /opt/wheels ]]; then
  pip+=(--find-links /opt/wheels)
elif grep -q '+cpu' "$lock"; then
  echo "error: $lock pins torch's CPU build, which is installed from /opt/wheels; that folder is missing" >&2
  exit 2
fi
# The build backend first: it builds the project and the locked packages PyPI has only as source.
echo "installing lock/build.txt ..."
"${pip[@]}" --require-hashes -r lock/build.txt
echo "installing $lock ..."
"${pip[@]}" --require-hashes --no-build-isolation -r "$lock"
echo "installing perpkeep (editable) ..."
"${pip[@]}" --no-deps --no-build-isolation -e .
if [[ "${1:-runtime}" == dev ]]; then
  bash deploy/system-packages.sh
  # The @solana/web3.js client of the RPC tests: exactly tests/js/package-lock.json (npm ci, no install
  # scripts), again only when the lock changed or node_modules is missing; the tests never download.
  js=tests/js
  want=$(sha256sum "$js/package-lock.json" | cut -d' ' -f1)
  if [[ "$(cat "$js/node_modules/.perpkeep-lock.sha256" 2>/dev/null)" != "$want" ]]; then
    echo "installing $js/package-lock.json (npm ci) ..."
    npm ci --prefix "$js" --ignore-scripts --no-audit --no-fund --loglevel=error
    echo "$want" > "$js/node_modules/.perpkeep-lock.sha256"
  fi
fi
if ! problems=$("$python" -m pip --disable-pip-version-check check 2>&1); then
  echo "warning: other packages in this environment conflict with the lock (a virtual environment avoids that):" >&2
  echo "$problems" >&2
fi
