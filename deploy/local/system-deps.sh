#!/usr/bin/env bash
# Installs the Debian packages Signum uses, only those missing, so a warm machine skips it.
#   system-deps.sh        what the test suite uses (make test): promtool and the prometheus server
#                         (tests/deploy), poppler, NSS tools, zbar, Chromium
#   system-deps.sh run    only what the running platform needs (make up): SoftHSM for the seals
set -euo pipefail
# command -> package
declare -A wanted=(
  [softhsm2-util]=softhsm2
  [openssl]=openssl
)
if [ "${1:-test}" != run ]; then
  wanted+=(
    [promtool]=prometheus
    [prometheus]=prometheus
    [pdfsig]=poppler-utils
    [certutil]=libnss3-tools
    [javac]=openjdk-17-jdk-headless
    [zbarimg]=zbar-tools
    [chromium]=chromium
  )
fi
missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "missing Debian packages: ${missing[*]} (run as root: apt-get install ${missing[*]})" >&2
  exit 2
fi
SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
