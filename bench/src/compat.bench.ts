import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { compareWorkspaces } from '../../server/src/compat/compare';
import { analyze, Analysis } from '../../server/src/semantic/analyzer';
import { parse, SyntaxTree } from '../../server/src/syntax/parser';
import { generateWorkspace, GeneratedFile, lineCount } from './generate';

/**
 * Compatibility benchmarks (npm run bench):
 *  1. in-process comparison of two generated workspaces (the baseline, and a copy with a
 *     version bump, a removed field, a resized field and a new subsection in every tenth
 *     description), for every machine type and both directions. Target: 20k lines < 150 ms.
 *     The two analyses are made once, outside the timing (the editor has them already).
 *  2. `vmsd check-dumps` on two full QEMU 7.2 -dump-vmstate files (214 device classes each)
 *     as a whole process, against QEMU's vmstate-static-checker.py on the same files when a
 *     copy is at $VMSTATE_STATIC_CHECKER_PY (default /tmp/vsc/vsc72.py; never committed).
 * The machine is shared and noisy: medians and bests of several runs.
 */
const root = path.join(__dirname, '..', '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(rows[0]), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

function analysisOf(files: GeneratedFile[]): Analysis {
  const trees = new Map<string, SyntaxTree>();
  for (const f of files) trees.set(f.uri, parse(f.text));
  return analyze(trees);
}

/** Every tenth description changed in a way the engine must report. */
function edited(files: GeneratedFile[]): GeneratedFile[] {
  let n = 0;
  return files.map((f) => ({
    uri: f.uri,
    text: f.text.replace(/vmstate (dev\d+) \{\n {4}version 3\n([\s\S]*?)\n {4}f1: (\w+)\n([\s\S]*?)\n {4}f2: (\w+)/g, (whole, name: string, a: string, t1: string, b: string, t2: string) =>
      n++ % 10 === 0 ? `vmstate ${name} {\n    version 4\n${a}\n${b}\n    f2: ${t2 === 'u64' ? 'u32' : 'u64'}\n    added: u16` : whole,
    ),
  }));
}

const rows: string[][] = [['lines (each side)', 'descriptions', 'machine types', 'findings', 'matrix cells', 'compare median ms', 'compare best ms', 'analysis of one side ms']];
for (const target of [10_000, 20_000, 40_000]) {
  const base = generateWorkspace(target);
  const now = edited(base);
  const t0 = performance.now();
  const a = analysisOf(base);
  const analysisMs = performance.now() - t0;
  const b = analysisOf(now);
  const times: number[] = [];
  let findings = 0;
  let cells = 0;
  let machines = 0;
  for (let run = 0; run < RUNS + 2; run++) {
    const s = performance.now();
    const r = compareWorkspaces({ baseline: { analysis: a, label: 'old' }, current: { analysis: b, label: 'new' } });
    const ms = performance.now() - s;
    if (run >= 2) times.push(ms);
    findings = r.findings.length;
    cells = r.matrix.length;
    machines = r.machines.length;
  }
  rows.push([String(lineCount(base)), String(a.descriptions.length), String(machines), String(findings), String(cells), median(times).toFixed(1), Math.min(...times).toFixed(1), analysisMs.toFixed(0)]);
}
console.log('\nIn-process compatibility comparison (vmsd check --baseline, the editor): target 20k lines < 150 ms\n');
console.log(table(rows));

// ---- check-dumps as a whole process ----
const fixtures = path.join(root, 'test', 'fixtures', 'qemu');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-bench-dumps-'));
const src = path.join(dir, 'pc-i440fx-2.3.json');
const dest = path.join(dir, 'pc-i440fx-7.2.json');
fs.writeFileSync(src, zlib.gunzipSync(fs.readFileSync(path.join(fixtures, 'dump-pc-i440fx-2.3.json.gz'))));
// The 7.2 dump with real-looking changes, so that both tools have something to report:
// hpet no longer loads version 2 streams, and a field of the RTC is resized.
type Desc = { version_id: number; minimum_version_id: number; Fields?: Array<{ size: number; Description?: unknown }> };
const seven = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(fixtures, 'dump-pc-i440fx-7.2.json.gz'))).toString('utf8')) as Record<string, Desc & { Description: Desc }>;
const classes = Object.keys(seven).filter((k) => k !== 'vmschkmachine').length;
seven.hpet.minimum_version_id = seven.hpet.Description.minimum_version_id = 3;
seven.hpet.version_id = seven.hpet.Description.version_id = 3;
seven.mc146818rtc.Description.Fields!.find((f) => !f.Description)!.size = 2;
fs.writeFileSync(dest, JSON.stringify(seven));
const script = process.env.VMSTATE_STATIC_CHECKER_PY ?? '/tmp/vsc/vsc72.py';
const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
const py = python.status === 0 ? python.stdout.trim() : undefined;
const vmsd = path.join(root, 'bin', 'vmsd');
const commands: Array<{ name: string; cmd: string; args: string[]; times: number[]; out?: string; status?: number | null }> = [
  { name: 'vmsd check-dumps --format static-checker', cmd: process.execPath, args: [vmsd, 'check-dumps', src, dest, '--format', 'static-checker'], times: [] },
  { name: 'vmsd check-dumps (own rules)', cmd: process.execPath, args: [vmsd, 'check-dumps', src, dest], times: [] },
];
if (py && fs.existsSync(script)) commands.push({ name: 'vmstate-static-checker.py (QEMU 7.2)', cmd: py, args: [script, '-s', src, '-d', dest], times: [] });
commands.push({ name: 'node -e 0 (startup alone)', cmd: process.execPath, args: ['-e', '0'], times: [] });
for (const c of commands) spawnSync(c.cmd, c.args); // warm the file cache
for (let r = 0; r < RUNS; r++) {
  for (const c of commands) {
    const t0 = process.hrtime.bigint();
    const p = spawnSync(c.cmd, c.args, { encoding: 'utf8', maxBuffer: 1 << 28 });
    c.times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    c.out ??= p.stdout;
    c.status = p.status;
  }
}
const theirs = commands.find((c) => c.name.startsWith('vmstate-static-checker'));
const dumpRows: string[][] = [['command', 'runs', 'exit', 'median ms', 'best ms', 'script / ours (median)']];
for (const c of commands) {
  const ratio = theirs && c !== theirs && !c.name.startsWith('node') ? (median(theirs.times) / median(c.times)).toFixed(1) + '×' : '';
  dumpRows.push([c.name, String(c.times.length), String(c.status), median(c.times).toFixed(0), Math.min(...c.times).toFixed(0), ratio]);
}
if (!theirs) dumpRows.push(['vmstate-static-checker.py', '-', '-', `skipped: ${py ? `no script at ${script}` : 'no python3'}`, '', '']);
console.log(`\nvmsd check-dumps, whole process: pc-i440fx-2.3 → pc-i440fx-7.2 dumps of QEMU 7.2 (${classes} device classes each; in the second hpet needs version 3 and a field of mc146818rtc is resized)\n`);
console.log(table(dumpRows));
// The same work without the interpreters' own start: each tool timed inside its process,
// cold (one run per process, as on the command line), from loading its code to its output.
const inside: Array<{ name: string; cmd: string; args: string[]; times: number[] }> = [
  {
    name: 'vmsd check-dumps --format static-checker, in-process',
    cmd: process.execPath,
    args: ['-e', `const t=performance.now();require(${JSON.stringify(path.join(root, 'out/server/src/cli/main.js'))}).main(['check-dumps',${JSON.stringify(src)},${JSON.stringify(dest)},'--format','static-checker'],{out(){},err(){}}).then(()=>process.stderr.write(String(performance.now()-t)))`],
    times: [],
  },
  {
    name: 'vmsd check-dumps (own rules), in-process',
    cmd: process.execPath,
    args: ['-e', `const t=performance.now();require(${JSON.stringify(path.join(root, 'out/server/src/cli/main.js'))}).main(['check-dumps',${JSON.stringify(src)},${JSON.stringify(dest)}],{out(){},err(){}}).then(()=>process.stderr.write(String(performance.now()-t)))`],
    times: [],
  },
];
if (theirs) {
  inside.push({
    name: 'vmstate-static-checker.py, in-process',
    cmd: py!,
    args: ['-c', `import io,runpy,sys,time,contextlib\nt=time.perf_counter()\nsys.argv=[${JSON.stringify(script)},'-s',${JSON.stringify(src)},'-d',${JSON.stringify(dest)}]\nwith contextlib.redirect_stdout(io.StringIO()):\n  try: runpy.run_path(sys.argv[0],run_name='__main__')\n  except SystemExit: pass\nsys.stderr.write(str((time.perf_counter()-t)*1000))`],
    times: [],
  });
}
for (let r = 0; r < RUNS; r++) {
  for (const c of inside) {
    const p = spawnSync(c.cmd, c.args, { encoding: 'utf8' });
    const ms = Number(p.stderr);
    if (Number.isFinite(ms) && ms > 0) c.times.push(ms);
  }
}
const insideRows: string[][] = [['measured inside the process (cold)', 'runs', 'median ms', 'best ms']];
for (const c of inside) insideRows.push([c.name, String(c.times.length), c.times.length ? median(c.times).toFixed(0) : 'failed', c.times.length ? Math.min(...c.times).toFixed(0) : '']);
console.log('\n' + table(insideRows));
if (theirs) {
  const same = theirs.out === commands[0].out;
  console.log(`\n--format static-checker output ${same ? 'is identical to' : 'DIFFERS from'} the script's (${(theirs.out ?? '').split('\n').filter(Boolean).length} lines)`);
  if (!same) process.exitCode = 1;
}
fs.rmSync(dir, { recursive: true, force: true });
