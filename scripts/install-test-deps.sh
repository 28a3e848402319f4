#!/usr/bin/env bash
# Installs the external programs the end-to-end tests drive, from Debian's packages:
# Neovim (a real LSP client). Idempotent: does nothing when they are already there.
# Run as root (CI is), or with sudo.
set -euo pipefail

need=()
command -v nvim >/dev/null 2>&1 || need+=(neovim)

if [ ${#need[@]} -eq 0 ]; then
  echo "install-test-deps: everything is installed" >&2
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-test-deps: installing ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
