#!/usr/bin/env bash
# Regenerates the QEMU fixtures under test/fixtures/qemu with Debian's QEMU 7.2
# (installed here if missing). The tests use the committed files; run this only to
# refresh them, and commit the result. Arguments name the only files to rewrite, e.g.
# `scripts/gen-qemu-fixtures.sh pc-7.2-devices.mig` (each run of QEMU writes the host's
# time into the RTC state, so an unchanged stream is best left alone).
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

# Real migration streams (QMP migrate to a file) and, per machine type, -dump-vmstate (the
# static description tree of every device class, qemu-wire.md §10) as dump-<machine>.json.gz;
# their command lines go to streams.txt.
rm -f "$out/dump-pc-i440fx-7.2.json" # written uncompressed before
python3 scripts/gen-qemu-fixtures.py "$@"
ls -l "$out"/*.mig "$out"/*.json.gz >&2
echo "regenerated the streams; refresh the golden decodes with UPDATE_GOLDEN=1 npm test" >&2
