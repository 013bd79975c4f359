#!/usr/bin/env bash
# Debian packages the browser and metrics tests use: chromium (headless, driven by Playwright),
# fonts-noto-cjk (so that Chinese renders) and prometheus (for promtool). Installs the missing
# ones when it can (root, or sudo without a password); exits 1 naming what is still missing.
# `make test` and .ci/run call it; a test whose package is missing says so when it skips.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
PACKAGES=(chromium fonts-noto-cjk prometheus)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing() { for package in "${PACKAGES[@]}"; do installed "$package" || echo "$package"; done; }

wanted=($(missing))
if [ ${#wanted[@]} -eq 0 ]; then
  echo "system packages: all present (${PACKAGES[*]})"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "system packages: apt-get not found; missing: ${wanted[*]}" >&2
  exit 1
fi
echo "system packages: installing ${wanted[*]}"
# Packages must not start daemons (the prometheus package ships a server): a policy-rc.d that
# says "no" for the duration, unless the machine already has one.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ] && as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod +x $policy"; then
  own_policy=1
fi
update_log=$(mktemp)
as_root timeout 300 apt-get update -q 2>&1 | tee "$update_log"
# apt-get update exits 0 when mirrors are unreachable (it only prints "W: Failed to fetch").
if [ "${PIPESTATUS[0]}" -ne 0 ] || grep -qE '^(W|E): (Failed to fetch|Some index files failed)' "$update_log"; then
  echo "system packages: apt-get update could not reach every mirror (offline?); trying the install anyway" >&2
fi
rm -f "$update_log"
as_root timeout 900 apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  -o Acquire::Retries=2 --no-install-recommends "${wanted[@]}"
[ -n "$own_policy" ] && as_root rm -f "$policy"
still=($(missing))
if [ ${#still[@]} -gt 0 ]; then
  echo "system packages: still missing: ${still[*]} (tests that need them will skip)" >&2
  exit 1
fi
echo "system packages: installed ${wanted[*]}"
