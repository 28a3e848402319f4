#!/usr/bin/env bash
# Installs what the end-to-end tests drive, from Debian's packages and the npm registry:
#   Neovim (a real LSP client), Chromium (drives VS Code in code-server), and
#   code-server 4.100.3 itself (into .cache/, see install-code-server.sh), which needs
#   libkrb5-dev and ripgrep to install offline; git, which the compatibility tests read
#   baselines from (temporary repositories).
# Idempotent: does nothing for what is already there. Run as root (CI is), or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nvim >/dev/null 2>&1 || need+=(neovim)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v rg >/dev/null 2>&1 || need+=(ripgrep)
command -v git >/dev/null 2>&1 || need+=(git)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-test-deps: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

bash scripts/install-code-server.sh
echo "install-test-deps: everything is installed" >&2
