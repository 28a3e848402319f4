#!/usr/bin/env bash
# Regenerates the QEMU fixtures under test/fixtures/qemu with Debian's QEMU 7.2
# (installed here if missing). The tests use the committed files; run this only to
# refresh them, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
out=test/fixtures/qemu
mkdir -p "$out"

if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "installing qemu-system-x86 (Debian)…" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-x86
fi
qemu-system-x86_64 --version | head -1 >&2

# -dump-vmstate: the static description tree of every device class (qemu-wire.md §10).
qemu-system-x86_64 -M pc-i440fx-7.2 -nodefaults -display none -dump-vmstate "$out/dump-pc-i440fx-7.2.json"
echo "wrote $out/dump-pc-i440fx-7.2.json ($(wc -c < "$out/dump-pc-i440fx-7.2.json") bytes)" >&2

# Real migration streams (QMP migrate to a file); their command lines go to streams.txt.
python3 scripts/gen-qemu-fixtures.py
echo "regenerated the streams; refresh the golden decodes with UPDATE_GOLDEN=1 npm test" >&2
