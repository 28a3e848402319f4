import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeStream, encodeStream, RamRecord, StreamOptions } from '../../server/src/codec/stream';
import { loadWorkspace } from '../../server/src/host/files';

/**
 * Whole-process comparison (npm run bench): `vmsd decode --format analyze-migration`
 * against QEMU's scripts/analyze-migration.py -d state, both started fresh for every run,
 * on a ~2 MB stream (the real pc-7.2-devices stream with 1.2 MB of extra data pages in
 * its RAM part, which the script skips by seeking and we walk). Target: ours ≥ 10× faster.
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

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-bench-'));
const file = path.join(dir, 'bench.mig');
fs.writeFileSync(file, benchStream());
const size = fs.statSync(file).size;

const py = python();
const haveScript = fs.existsSync(script) && py !== undefined;
const commands: Array<{ name: string; cmd: string; args: string[]; t: Timing }> = [
  { name: 'vmsd decode --format analyze-migration', cmd: process.execPath, args: [vmsd, 'decode', file, '--format', 'analyze-migration'], t: { times: [] } },
];
if (haveScript) commands.push({ name: 'analyze-migration.py -d state', cmd: py!, args: [script, '-f', file, '-d', 'state'], t: { times: [] } });
const floors = [
  { name: 'node -e 0 (startup alone)', cmd: process.execPath, args: ['-e', '0'], t: { times: [] } as Timing },
  ...(py ? [{ name: 'python3 -c 0 (startup alone)', cmd: py, args: ['-c', '0'], t: { times: [] } as Timing }] : []),
];

// One warm-up each (file cache), then alternate so both see the same machine load.
for (const c of [...commands, ...floors]) runOnce(c.cmd, c.args, { times: [] });
for (let i = 0; i < RUNS; i++) for (const c of [...commands, ...floors]) runOnce(c.cmd, c.args, c.t);

const ours = commands[0].t;
const theirs = haveScript ? commands[1].t : undefined;
const rows: string[][] = [['command', 'runs', 'median ms', 'best ms', 'script / ours (median)']];
const ratio = (t: Timing) => (theirs && theirs.times.length && t.times.length ? (median(theirs.times) / median(t.times)).toFixed(1) + '×' : '');
for (const c of [...commands, ...floors]) {
  if (c.t.failed) rows.push([c.name, '0', 'failed', c.t.failed, '']);
  else rows.push([c.name, String(c.t.times.length), median(c.t.times).toFixed(0), Math.min(...c.t.times).toFixed(0), c === commands[0] ? ratio(c.t) : '']);
}
if (!haveScript) rows.push(['analyze-migration.py -d state', '-', `skipped: ${py ? `script not found at ${script}` : 'no python3'}`, '', '']);

let identical = 'not compared (no script)';
if (theirs) {
  identical = ours.out && theirs.out ? (ours.out.equals(theirs.out) ? 'yes' : 'NO') : 'not compared (a command failed)';
  if (identical !== 'yes') process.exitCode = 1;
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
process.stdout.write(
  [
    '',
    `Whole process, analyze-migration format: ${(size / 1e6).toFixed(2)} MB stream (pc-7.2-devices.mig + ${EXTRA_PAGES} data pages), ${RUNS} runs each after a warm-up`,
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    `outputs identical: ${identical}${ours.out ? ` (${ours.out.length} bytes)` : ''}`,
    '',
  ].join('\n') + '\n',
);
fs.rmSync(dir, { recursive: true, force: true });
