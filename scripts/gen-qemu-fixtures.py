#!/usr/bin/env python3
"""Real QEMU 7.2 migration streams and -dump-vmstate files for the tests (Debian's
qemu-system-x86).

Each stream: QEMU started paused (-S) with 32 MiB, migrated over QMP to a file with
`migrate "exec:cat > FILE"`. Each dump: `-dump-vmstate` of one machine type, compressed
with `gzip -9n` (no name, no time stamp: the same bytes every run). The exact command
lines are written next to them (test/fixtures/qemu/streams.txt).
Run: python3 scripts/gen-qemu-fixtures.py (scripts/gen-qemu-fixtures.sh installs QEMU first)
"""
import json, os, socket, subprocess, sys, tempfile, time

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'qemu')
STREAMS = {
    'pc-7.2.mig': ['-M', 'pc-i440fx-7.2'],
    # A NIC of each kind (no netdev: QEMU warns and leaves them unplugged; virtio-net
    # without its option ROM, 240 KiB of RAM pages less), a serial port, and a USB host
    # controller with one device on its bus.
    'pc-7.2-devices.mig': ['-M', 'pc-i440fx-7.2', '-device', 'e1000', '-device', 'isa-serial,chardev=s0', '-chardev', 'null,id=s0',
                           '-device', 'virtio-net-pci,romfile=', '-device', 'piix3-usb-uhci', '-device', 'usb-tablet'],
    'q35-7.2.mig': ['-M', 'pc-q35-7.2'],
    # Device-heavy, 2 MB: 16 vCPUs, six NICs of each kind, a USB tablet and keyboard — the
    # benchmark's stream (npm run bench), kept gzipped.
    'pc-7.2-many.mig': ['-M', 'pc-i440fx-7.2', '-smp', '16', *[a for _ in range(6) for a in ('-device', 'e1000,romfile=', '-device', 'virtio-net-pci,romfile=')],
                        '-device', 'piix3-usb-uhci', '-device', 'usb-tablet', '-device', 'usb-kbd'],
    # Machine types before 2.4 write neither the configuration record nor section footers.
    'pc-2.3.mig': ['-M', 'pc-i440fx-2.3'],
    # ... and before 2.3, no vmdesc after EOF.
    'pc-2.2.mig': ['-M', 'pc-i440fx-2.2'],
    # Capabilities: the configuration record lists them; x-ignore-shared adds block addresses.
    'pc-7.2-caps.mig': ['-M', 'pc-i440fx-7.2', '-uuid', '6d8e2a34-1b5c-4f0e-9a7d-3c2b1e0f4a59'],
}
# -dump-vmstate per machine type of the streams. The dump is the same for every machine
# type but for its first entry ("vmschkmachine"); test/codec/fixtures.test.ts checks that.
DUMPS = ['pc-i440fx-7.2', 'pc-q35-7.2', 'pc-i440fx-2.3', 'pc-i440fx-2.2']
GZIPPED = {'pc-7.2-many.mig'}
# The goldens of `vmsd decode --format analyze-migration` come from QEMU's own script,
# which is never committed: rerun it on the streams that changed (see the note's words).
ANALYZE_NOTE = '*.analyze-migration.json.gz: the stdout (gzip -9n) of QEMU\'s scripts/analyze-migration.py (qemu/qemu commit 58deb358c661b7a0ea6c231be5e8dafd335ab587, the oldest version available here; no v7.2 copy was) run as `python3 analyze-migration.py -f <name>.mig -d state` with Python 3.11.7, for pc-7.2, pc-7.2-devices, q35-7.2, pc-2.3 and pc-7.2-many (decompressed); the script fails on pc-7.2-caps.mig ("Exception: Unknown section type: 5" at the configuration subsections) and on pc-2.2.mig (no vmdesc: "OSError: [Errno 22] Invalid argument"), so those two have none. Regenerate them whenever the .mig files change.\n'
CAPABILITIES = {'pc-7.2-caps.mig': ['validate-uuid', 'x-ignore-shared']}

def qmp(sock, cmd, **args):
    sock.sendall(json.dumps({'execute': cmd, 'arguments': args}).encode() + b'\n')
    buf = b''
    while True:
        buf += sock.recv(65536)
        for line in buf.split(b'\n'):
            if line.strip():
                msg = json.loads(line)
                if 'return' in msg or 'error' in msg:
                    return msg

def generate(name, extra, write):
    out = os.path.abspath(os.path.join(OUT, name))
    caps = CAPABILITIES.get(name, [])
    caps_text = f'; QMP migrate-set-capabilities {" ".join(caps)} on' if caps else ''
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'qmp.sock')
        cmd = ['qemu-system-x86_64', *extra, '-m', '32', '-nographic', '-nodefaults', '-S', '-accel', 'tcg', '-qmp', f'unix:{path},server=on,wait=off']
        line = ' '.join(cmd[:-2]) + f' -qmp …{caps_text}; QMP migrate "exec:cat > {name}"'
        if not write:
            return line
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        s.recv(65536)  # greeting
        qmp(s, 'qmp_capabilities')
        if caps:
            r = qmp(s, 'migrate-set-capabilities', capabilities=[{'capability': c, 'state': True} for c in caps])
            if 'error' in r:
                sys.exit(f'{name}: {r["error"]}')
        if os.path.exists(out):
            os.remove(out)
        qmp(s, 'migrate', uri=f'exec:cat > {out}')
        for _ in range(200):
            st = qmp(s, 'query-migrate')['return'].get('status')
            if st in ('completed', 'failed'):
                break
            time.sleep(0.05)
        qmp(s, 'quit')
        proc.wait(timeout=10)
        if st != 'completed':
            sys.exit(f'{name}: migration {st}')
        return line

def dump(machine, write):
    name = f'dump-{machine}.json'
    out = os.path.abspath(os.path.join(OUT, name))
    cmd = ['qemu-system-x86_64', '-M', machine, '-nodefaults', '-display', 'none', '-dump-vmstate', out]
    if write:
        for f in (out, out + '.gz'):
            if os.path.exists(f):
                os.remove(f)
        subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)
        subprocess.run(['gzip', '-9n', out], check=True)
    return name + '.gz', ' '.join(cmd[:-1]) + f' {name}; gzip -9n {name}'

# Arguments: only these files are written (e.g. pc-7.2-devices.mig); streams.txt always
# lists every file, with the command line each is made by.
only = set(sys.argv[1:])
unknown = only - set(STREAMS) - {f'dump-{m}.json.gz' for m in DUMPS}
if unknown:
    sys.exit(f'unknown fixture(s): {" ".join(sorted(unknown))}')
def stream(name, extra):
    write = not only or name in only
    line = generate(name, extra, write)
    if name not in GZIPPED:
        return name, line
    if write:
        out = os.path.abspath(os.path.join(OUT, name))
        if os.path.exists(out + '.gz'):
            os.remove(out + '.gz')
        subprocess.run(['gzip', '-9n', out], check=True)
    return name + '.gz', line + f'; gzip -9n {name}'

lines = [stream(n, a) for n, a in STREAMS.items()]
lines += [dump(m, not only or f'dump-{m}.json.gz' in only) for m in DUMPS]
with open(os.path.join(OUT, 'streams.txt'), 'w') as f:
    f.write('Generated by scripts/gen-qemu-fixtures.py with Debian QEMU 7.2:\n')
    for n, l in lines:
        f.write(f'{n}: {l}\n')
    f.write(ANALYZE_NOTE)
print('\n'.join(f'{n}: {l}' for n, l in lines))
