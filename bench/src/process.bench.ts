import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { decodeStream, encodeStream, RamRecord, StreamOptions } from '../../server/src/codec/stream';
import { loadWorkspace } from '../../server/src/host/files';

/**
 * Whole-process comparison (npm run bench): `vmsd decode --format analyze-migration`
 * against QEMU's scripts/analyze-migration.py -d state, both started fresh for every run,
 * on 2 MB streams: the real device-heavy pc-7.2-many.mig (16 vCPUs, 12 NICs, USB), the
 * real pc-7.2-devices stream with 1.2 MB of extra data pages in its RAM part (which the
 * script skips by seeking and we walk), and that VM with 512 MiB of zero pages. Target:
 * ours ≥ 10× faster.
 * The script comes from $ANALYZE_MIGRATION_PY (default /tmp/analyze/analyze-migration.py);
 * without it its row says "skipped". Outputs must be identical, else the exit code is 1.
 * The machine is shared and noisy: runs alternate between the two commands, and the table
 * gives the median and the best of them; the startup of a bare `node` and `python3` is
 * shown for scale.
 */
const root = path.join(__dirname, '..', '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'qemu');
const vmsd = path.join(root, 'bin', 'vmsd'); // package.json "bin"
const script = process.env.ANALYZE_MIGRATION_PY ?? '/tmp/analyze/analyze-migration.py';
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const EXTRA_PAGES = 300;

/** pc-7.2-devices.mig with EXTRA_PAGES more data pages (pseudo-random) in its RAM part. */
function benchStream(): Uint8Array {
  const analysis = loadWorkspace([]).workspace.analysis();
  const opts: StreamOptions = { analysis, descriptions: new Map() };
  const s = decodeStream(new Uint8Array(fs.readFileSync(path.join(fixtures, 'pc-7.2-devices.mig'))), opts);
  const part = s.sections.find((x) => x.type === 'part' && x.ramRecords?.length)!;
  const block = part.ramRecords!.find((r) => r.block !== undefined)!.block!;
  let seed = 7;
  const pages: RamRecord[] = [];
  for (let i = 0; i < EXTRA_PAGES; i++) {
    const data = new Uint8Array(4096);
    for (let j = 0; j < 4096; j++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[j] = seed >>> 24;
    }
    // Pages of pc.ram sent again (dirtied): a new block name first, then CONTINUE.
    pages.push({ addr: BigInt(0x100000 + i * 4096), flags: i === 0 ? 0x08 : 0x28, ...(i === 0 ? { block } : {}), data });
  }
  part.ramRecords!.push(...pages);
  return encodeStream(s, opts);
}

interface Timing {
  times: number[];
  out?: Buffer;
  failed?: string;
}

function runOnce(cmd: string, args: string[], t: Timing): void {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    t.failed = `exit ${r.status}: ${String(r.stderr).trim().split('\n').pop()}`;
    return;
  }
  t.times.push(ms);
  t.out ??= r.stdout;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The interpreter itself rather than a launcher script (pyenv shims cost ~60 ms a start). */
function python(): string | undefined {
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || 'python3' : undefined;
}

/**
 * The same VM with 512 MiB of RAM, as QEMU 7.2 sends it paused (-S): pc.ram's 131,072
 * pages are zero-page records (9–16 bytes each) — a real 2 MB stream, most of it RAM
 * records, which both tools must walk one by one. (`-m 512` of scripts/gen-qemu-fixtures.py's
 * devices command gives a stream of the same shape: 1,998,035 bytes.)
 */
function bigGuestStream(): Uint8Array {
  const analysis = loadWorkspace([]).workspace.analysis();
  const opts: StreamOptions = { analysis, descriptions: new Map() };
  const s = decodeStream(new Uint8Array(fs.readFileSync(path.join(fixtures, 'pc-7.2-devices.mig'))), opts);
  const sizes = s.sections.flatMap((x) => x.ramRecords ?? []).find((r) => r.blocks)!;
  const ram = sizes.blocks!.find((b) => b.name === 'pc.ram')!;
  const more = 512n * 1024n * 1024n - ram.used;
  ram.used += more;
  sizes.addr += more;
  const part = s.sections.find((x) => x.type === 'part' && x.ramRecords?.length)!;
  const first = Number((ram.used - more) / 4096n);
  const zero: RamRecord[] = [];
  for (let p = first; p < Number(ram.used / 4096n); p++) zero.push({ addr: BigInt(p) * 4096n, flags: p === first ? 0x02 : 0x22, ...(p === first ? { block: 'pc.ram' } : {}), fill: 0 });
  part.ramRecords!.push(...zero);
  return encodeStream(s, opts);
}

const py = python();
const haveScript = fs.existsSync(script) && py !== undefined;
const floors = [
  { name: 'node -e 0 (startup alone)', cmd: process.execPath, args: ['-e', '0'], t: { times: [] } as Timing },
  ...(py ? [{ name: 'python3 -c 0 (startup alone)', cmd: py, args: ['-c', '0'], t: { times: [] } as Timing }] : []),
];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-bench-'));
const streams = [
  // The 2 MB stream of the target: real, device-heavy (what the script exists to read).
  { label: 'pc-7.2-many.mig: real, 16 vCPUs, 12 NICs, USB tablet and keyboard', bytes: new Uint8Array(zlib.gunzipSync(fs.readFileSync(path.join(fixtures, 'pc-7.2-many.mig.gz')))) },
  { label: `pc-7.2-devices.mig + ${EXTRA_PAGES} data pages`, bytes: benchStream() },
  { label: 'pc-7.2-devices with 512 MiB of RAM (131,072 zero pages)', bytes: bigGuestStream() },
];
for (const [i, st] of streams.entries()) {
  const file = path.join(dir, `bench-${i}.mig`);
  fs.writeFileSync(file, st.bytes);
  const commands: Array<{ name: string; cmd: string; args: string[]; t: Timing }> = [
    { name: 'vmsd decode --format analyze-migration', cmd: process.execPath, args: [vmsd, 'decode', file, '--format', 'analyze-migration'], t: { times: [] } },
  ];
  if (haveScript) commands.push({ name: 'analyze-migration.py -d state', cmd: py!, args: [script, '-f', file, '-d', 'state'], t: { times: [] } });
  const all = i === 0 ? [...commands, ...floors] : commands;

  // One warm-up each (file cache), then alternate so both see the same machine load.
  for (const c of all) runOnce(c.cmd, c.args, { times: [] });
  for (let r = 0; r < RUNS; r++) for (const c of all) runOnce(c.cmd, c.args, c.t);

  const ours = commands[0].t;
  const theirs = haveScript ? commands[1].t : undefined;
  const rows: string[][] = [['command', 'runs', 'median ms', 'best ms', 'script / ours (median)']];
  const ratio = (t: Timing) => (theirs && theirs.times.length && t.times.length ? (median(theirs.times) / median(t.times)).toFixed(1) + '×' : '');
  for (const c of all) {
    if (c.t.failed) rows.push([c.name, '0', 'failed', c.t.failed, '']);
    else rows.push([c.name, String(c.t.times.length), median(c.t.times).toFixed(0), Math.min(...c.t.times).toFixed(0), c === commands[0] ? ratio(c.t) : '']);
  }
  if (!haveScript) rows.push(['analyze-migration.py -d state', '-', `skipped: ${py ? `script not found at ${script}` : 'no python3'}`, '', '']);

  let identical = 'not compared (no script)';
  if (theirs) {
    identical = ours.out && theirs.out ? (ours.out.equals(theirs.out) ? 'yes' : 'NO') : 'not compared (a command failed)';
    if (identical !== 'yes') process.exitCode = 1;
  }
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  const line = (r: string[]) => r.map((c, k) => c.padEnd(widths[k])).join('  ').trimEnd();
  process.stdout.write(
    [
      '',
      `Whole process, analyze-migration format: ${(st.bytes.length / 1e6).toFixed(2)} MB stream (${st.label}), ${RUNS} runs each after a warm-up`,
      line(rows[0]),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...rows.slice(1).map(line),
      `outputs identical: ${identical}${ours.out ? ` (${ours.out.length} bytes)` : ''}`,
      '',
    ].join('\n') + '\n',
  );
}
fs.rmSync(dir, { recursive: true, force: true });
