#!/usr/bin/env bash
# Install the Debian packages the test suite runs for real: Prometheus (promtool and a server the alert
# and dashboard tests scrape), etcd, PostgreSQL (the high-availability lease and Optuna storage) and
# Node.js (the @solana/web3.js client tests), docker-compose and systemd-analyze (the deployment files are
# checked offline), Chromium (a headless browser renders a simulation report). Only what is missing is installed; the tests start their
# own servers on 127.0.0.1, so no service is enabled or started here.
#
#   bash deploy/system-packages.sh          install what is missing (root, or sudo without a password)
#   bash deploy/system-packages.sh --check  only say what is missing; exit 1 if anything is
set -euo pipefail

# command on PATH -> Debian package that provides it
declare -A wanted=(
  [prometheus]=prometheus
  [promtool]=prometheus
  [etcd]=etcd-server
  [etcdctl]=etcd-client
  [psql]=postgresql-client
  [node]=nodejs
  [npm]=npm
  [docker-compose]=docker-compose    # validates deploy/compose.yml offline (no daemon, no images)
  [systemd-analyze]=systemd          # verifies deploy/systemd/perpkeep-keeper.service
  [chromium]=chromium                # renders a simulation report headless (tests/integration/sim)
  [chromedriver]=chromium-driver     # drives the operator console in a real browser (Selenium)
)
# PostgreSQL's server binaries are not on PATH in Debian's layout.
server_missing() { ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; }

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
server_missing && missing+=(postgresql)
# node from another source (nodesource) already brings npm; don't ask Debian for a second one.
if command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/npm/}")
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | grep -v '^$' | sort -u)

if ((${#missing[@]} == 0)); then
  echo "system packages: all present"
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "system packages missing: ${missing[*]}" >&2
  exit 1
fi

sudo=()
if ((EUID != 0)); then
  if sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "error: missing Debian packages ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
    exit 2
  fi
fi
echo "installing Debian packages: ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]}"
