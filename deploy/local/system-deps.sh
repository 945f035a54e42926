#!/usr/bin/env bash
# Installs the Debian packages the test suite uses, only those missing, so a warm machine skips it.
set -euo pipefail
# command -> package
declare -A wanted=(
  [promtool]=prometheus
  [pdfsig]=poppler-utils
  [certutil]=libnss3-tools
  [softhsm2-util]=softhsm2
  [zbarimg]=zbar-tools
  [openssl]=openssl
  [chromium]=chromium
)
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
