import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckOutput, parseCheckOutput } from '../../client/src/compat/check-output';
import { compatDiagnostics, countFindings, resolveFile } from '../../client/src/compat/findings-to-diagnostics';
import { foldMachineList, matrixView, pickDescriptionSymbol } from '../../client/src/compat/matrix-model';
import { runCli } from '../../client/src/cli';
import { examplesDir, repoRoot } from '../util/paths';
import { requireProgram } from '../util/external';

/**
 * "VMSD: Check Compatibility Against Baseline" without VS Code: the CLI's JSON → the
 * diagnostics put into Problems and the matrix panel's rows, on hand-written outputs and
 * on a real run of the command line (the examples in a git repository, a field and a
 * file removed since the commit).
 */
const entry = (over: Partial<CheckOutput['diagnostics'][number]>): CheckOutput['diagnostics'][number] => ({
  file: 'hpet.vmsd', line: 43, column: 9, endLine: 43, endColumn: 21, severity: 'error', code: 'VS010', message: 'field removed (old→new)', related: [], ...over,
});
const output = (diagnostics: CheckOutput['diagnostics'], compatibility: CheckOutput['compatibility'] = []): CheckOutput => ({
  files: ['hpet.vmsd'], diagnostics, compatibility, summary: { files: 1, errors: 0, warnings: 0, infos: 0, hints: 0, suppressed: 0 },
});

describe('client: compatibility findings → diagnostics', () => {
  const folder = path.resolve('/ws/qemu');

  it('keeps the compatibility findings only, 0-based, with code, severity, source and related places', () => {
    const out = output([
      entry({ severity: 'hint', code: 'VL302', message: 'language hint' }), // no directions: the server shows it already
      entry({ directions: ['old→new'], baseline: 'git:v7.2', related: [{ file: 'git:v7.2:hw/hpet.vmsd', line: 52, column: 5, message: '"hpet_counter" in the baseline' }] }),
      entry({ file: 'sub/x.vmsd', line: 1, column: 1, endLine: 2, endColumn: 4, severity: 'warning', code: 'VS070', message: 'hygiene', directions: [] }),
    ]);
    const groups = compatDiagnostics(out, folder, 'git:v7.2');
    assert.deepEqual(groups.map((g) => g.file), [
      { kind: 'file', path: path.join(folder, 'hpet.vmsd') },
      { kind: 'file', path: path.join(folder, 'sub', 'x.vmsd') },
    ]);
    const [d] = groups[0].diagnostics;
    assert.deepEqual(d.range, { start: { line: 42, character: 8 }, end: { line: 42, character: 20 } });
    assert.equal(d.severity, 0);
    assert.equal(d.code, 'VS010');
    assert.equal(d.source, 'vmsd compat (git:v7.2)');
    assert.deepEqual(d.related, [{ file: { kind: 'git', rev: 'v7.2', path: 'hw/hpet.vmsd', cwd: folder }, range: { start: { line: 51, character: 4 }, end: { line: 51, character: 4 } }, message: '"hpet_counter" in the baseline' }]);
    const w = groups[1].diagnostics[0];
    assert.equal(w.severity, 1);
    assert.deepEqual(w.range, { start: { line: 0, character: 0 }, end: { line: 1, character: 3 } });
    assert.equal(w.source, 'vmsd compat (git:v7.2)', 'the run’s baseline when the entry names none');
    assert.deepEqual(countFindings(out), { errors: 1, warnings: 1, others: 0 });
  });

  it('maps severities info and hint, and files outside the folder', () => {
    const out = output([entry({ severity: 'info', directions: [] }), entry({ severity: 'hint', file: '../old/a.vmsd', directions: [] })]);
    const groups = compatDiagnostics(out, folder);
    assert.deepEqual(groups.map((g) => g.diagnostics[0].severity), [2, 3]);
    assert.deepEqual(groups[1].file, { kind: 'file', path: path.resolve(folder, '../old/a.vmsd') });
    assert.equal(groups[0].diagnostics[0].source, 'vmsd compat');
  });

  it('resolves git baseline files, absolute and relative paths', () => {
    assert.deepEqual(resolveFile('git:3f2a9c1:hw/timer/hpet.vmsd', folder), { kind: 'git', rev: '3f2a9c1', path: 'hw/timer/hpet.vmsd', cwd: folder });
    assert.deepEqual(resolveFile('git:HEAD~1:a b.vmsd', folder), { kind: 'git', rev: 'HEAD~1', path: 'a b.vmsd', cwd: folder });
    const abs = path.resolve('/elsewhere/x.vmsd');
    assert.deepEqual(resolveFile(abs, folder), { kind: 'file', path: abs });
  });

  it('refuses output that is not the JSON of vmsd check, saying what it was', () => {
    assert.throws(() => parseCheckOutput(''), /did not print JSON \(no output\)/);
    assert.throws(() => parseCheckOutput('vmsd: internal error: boom\n  at x'), /did not print JSON: vmsd: internal error: boom/);
    assert.throws(() => parseCheckOutput('{"files": []}'), /without `diagnostics` and `summary`/);
    assert.throws(() => parseCheckOutput('{"diagnostics": [{"file": 1}], "summary": {}}'), /diagnostic without file/);
    assert.equal(parseCheckOutput(JSON.stringify(output([]))).diagnostics.length, 0);
  });
});

describe('client: the verdict matrix panel’s model', () => {
  const machines = ['m-1', 'm-2', 'm-3', 'm-4', 'm-5'];
  const cells = (description: string, direction: 'old→new' | 'new→old', verdicts: string[], reasons: (v: string, i: number) => string[] = () => []) =>
    verdicts.map((v, i) => ({ description, machine: machines[i], direction, verdict: v as 'ok', reasons: reasons(v, i) })).filter((c) => (c.verdict as string) !== '-');

  it('folds machine types into runs', () => {
    assert.equal(foldMachineList(machines, machines), 'all 5');
    assert.equal(foldMachineList(['m-1', 'm-2', 'm-3', 'm-5'], machines), 'm-1 … m-3 (3), m-5');
    assert.equal(foldMachineList(['m-2', 'm-3'], machines), 'm-2, m-3');
    assert.equal(foldMachineList(['m-1', 'x'], machines), 'm-1, x');
    assert.equal(foldMachineList(['m-1'], ['m-1']), 'm-1');
  });

  it('makes a row per description with the verdict of every machine type and the runs of equal reasons', () => {
    const matrix = [
      ...cells('b', 'old→new', ['ok', 'ok', 'error', 'error', 'ok'], (v) => (v === 'error' ? ['VS010 field x removed'] : [])),
      ...cells('b', 'new→old', ['ok', 'ok', 'ok', 'ok', 'ok']),
      ...cells('a', 'old→new', ['warning', 'warning', 'warning', 'warning', '-'], () => ['VS030 x']),
      ...cells('a', 'new→old', ['ok', 'ok', 'ok', 'ok', '-']),
    ];
    const v = matrixView({ baseline: 'git:abc', machines, matrix }, output([entry({ directions: ['old→new'] })]), '/ws');
    assert.deepEqual(v.rows.map((r) => [r.description, r.worst]), [['a', 'warning'], ['b', 'error']]);
    assert.deepEqual(v.counts, { ok: 0, warning: 1, error: 1 });
    assert.deepEqual(v.directions, ['old→new', 'new→old']);
    const b = v.rows[1].cells[0];
    assert.deepEqual(b.verdicts, ['ok', 'ok', 'error', 'error', 'ok']);
    assert.deepEqual(b.runs.map((r) => [r.machines, r.count, r.verdict, r.reasons]), [
      ['m-1, m-2', 2, 'ok', []],
      ['m-3, m-4', 2, 'error', ['VS010 field x removed']],
      ['m-5', 1, 'ok', []],
    ]);
    assert.deepEqual(v.rows[1].cells[1].runs.map((r) => r.machines), ['all 5']);
    const a = v.rows[0].cells[0];
    assert.deepEqual(a.verdicts, ['warning', 'warning', 'warning', 'warning', null], 'm-5 not compared');
    assert.deepEqual(a.runs.map((r) => r.machines), ['m-1 … m-4 (4)']);
    assert.deepEqual(v.findings, { errors: 1, warnings: 0, others: 0 });
  });

  it('finds the description of a wire name among workspace symbols', () => {
    const symbols = [
      { name: 'hpet', containerName: 'other' },
      { name: 'hpet_v2', containerName: 'hpet' },
      { name: 'hpet', containerName: 'hpet' },
      { name: 'isa_serial', containerName: 'serial' },
    ];
    assert.equal(pickDescriptionSymbol(symbols, 'hpet'), symbols[2]);
    assert.equal(pickDescriptionSymbol(symbols, 'serial'), symbols[3]);
    assert.equal(pickDescriptionSymbol(symbols, 'nothing'), undefined);
  });
});

describe('client: the check command on a real vmsd check run', function () {
  this.timeout(120_000);
  let ws: string;

  before(function () {
    requireProgram(this, 'git', 'apt-get install git');
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-client-compat-'));
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(ws, f));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd: ws, stdio: 'pipe' });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'baseline');
    const hpet = path.join(ws, 'hpet.vmsd');
    const text = fs.readFileSync(hpet, 'utf8');
    assert.match(text, /^ {4}hpet_counter: u64\n/m);
    fs.writeFileSync(hpet, text.replace(/^ {4}hpet_counter: u64\n/m, ''));
    fs.rmSync(path.join(ws, 'serial.vmsd'));
  });
  after(() => ws && fs.rmSync(ws, { recursive: true, force: true }));

  it('gives a VS010 error in hpet.vmsd, a VS001 in the baseline’s serial.vmsd and matrix rows', async () => {
    const r = await runCli({ node: process.execPath, cli: path.join(repoRoot, 'out', 'server', 'src', 'cli', 'main.js'), args: ['check', '.', '--baseline', 'git:HEAD', '--format', 'json'], cwd: ws });
    assert.equal(r.code, 1, r.stderr);
    const out = parseCheckOutput(r.stdout);
    const groups = compatDiagnostics(out, ws, 'git:HEAD');
    const hpet = groups.find((g) => g.file.kind === 'file' && g.file.path === path.join(ws, 'hpet.vmsd'));
    assert.ok(hpet, JSON.stringify(groups.map((g) => g.file)));
    const vs010 = hpet.diagnostics.find((d) => d.code === 'VS010');
    assert.ok(vs010, hpet.diagnostics.map((d) => d.code).join());
    assert.equal(vs010.severity, 0);
    assert.match(vs010.message, /hpet_counter/);
    assert.deepEqual(vs010.related[0].file, { kind: 'git', rev: 'HEAD', path: 'hpet.vmsd', cwd: ws });
    const serial = groups.find((g) => g.file.kind === 'git' && g.file.path === 'serial.vmsd');
    assert.ok(serial?.diagnostics.some((d) => d.code === 'VS001'), 'the removed description is reported in the baseline’s file');
    assert.ok(groups.every((g) => g.diagnostics.every((d) => /^VS\d+$/.test(d.code))), 'language diagnostics (VL…) stay with the server');

    const view = matrixView(out.compatibility![0], out, ws);
    const row = view.rows.find((x) => x.description === 'hpet');
    assert.equal(row?.worst, 'error');
    assert.equal(row!.cells[0].direction, 'old→new');
    assert.ok(row!.cells[0].runs.some((run) => run.verdict === 'error' && run.reasons.some((s) => s.includes('hpet_counter'))));
    assert.equal(view.machines.length, out.compatibility![0].machines.length);
    assert.ok(view.rows.some((x) => x.description === 'serial' && x.worst === 'error'));
  });
});
