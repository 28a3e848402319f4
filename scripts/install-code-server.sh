#!/usr/bin/env bash
# Installs code-server 4.100.3 (the last release for Node 20; bundles VS Code 1.100.3)
# into .cache/code-server of this checkout, for the VS Code end-to-end test. Kept out of
# package.json on purpose: it is 300 MB and its install needs the workarounds below.
# Needs Debian's libkrb5-dev and ripgrep (scripts/install-test-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/code-server
if [ -x "$dest/node_modules/.bin/code-server" ]; then
  echo "install-code-server: already installed in $dest" >&2
  exit 0
fi
mkdir -p "$dest"
# @vscode/ripgrep's postinstall downloads rg from GitHub: seed its cache with Debian's rg.
tmp="$(node -p 'require("os").tmpdir()')"
rg_cache="$tmp/vscode-ripgrep-cache-1.15.11"
mkdir -p "$rg_cache" "$tmp/vmsd-rgseed"
cp "$(command -v rg)" "$tmp/vmsd-rgseed/rg"
tar czf "$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$tmp/vmsd-rgseed" rg
cd "$dest"
[ -f package.json ] || npm init -y >/dev/null
# Root needs --unsafe-perm for its postinstall; node-pty's postinstall runs npx node-gyp.
npm_config_unsafe_perm=true npm_config_yes=true npm install --no-audit --no-fund --loglevel=error code-server@4.100.3
echo "install-code-server: installed $(XDG_CONFIG_HOME="$(mktemp -d)" ./node_modules/.bin/code-server --version | head -1)" >&2
