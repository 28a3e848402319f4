import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compareWorkspaces } from '../../server/src/compat/compare';
import { CompatResult, Finding, MatrixCell } from '../../server/src/compat/findings';
import { Direction, DIRECTIONS, RuleId } from '../../server/src/compat/rules';
import { Workspace } from '../../server/src/semantic/workspace';
import { examplesDir, fixtures, updateGolden } from '../util/paths';

/**
 * Golden machine-type matrices on the real QEMU 7.2 descriptions of examples/: the
 * baseline is examples/ as it is, the new side the same files with a small textual edit.
 * The matrix is rendered as one line per description, direction and run of machine types
 * with the same verdict (and deciding rules), then the findings; the goldens are in
 * test/fixtures/compat/golden/NAME.matrix.txt (UPDATE_GOLDEN=1 rewrites them). Each
 * scenario also asserts the cells and findings that matter explicitly, so that a golden
 * regenerated from a wrong engine does not hide the error.
 */

const GOLDEN = path.join(fixtures, 'compat', 'golden');

/** examples/*.vmsd: file name → text. */
const examples = new Map<string, string>(
  fs
    .readdirSync(examplesDir)
    .filter((f) => f.endsWith('.vmsd'))
    .sort()
    .map((f) => [f, fs.readFileSync(path.join(examplesDir, f), 'utf8')]),
);
const uriOf = (file: string) => pathToFileURL(path.join(examplesDir, file)).href;

interface Edit {
  file: string;
  /** Text that occurs exactly once in the file. */
  find: string;
  replace: string;
}

function workspaceOf(edits: Edit[] = []): Workspace {
  const texts = new Map(examples);
  for (const e of edits) {
    const text = texts.get(e.file);
    assert.ok(text !== undefined, `no examples/${e.file}`);
    const at = text.indexOf(e.find);
    assert.ok(at >= 0 && text.indexOf(e.find, at + 1) < 0, `the edit's text occurs exactly once in ${e.file}: ${JSON.stringify(e.find)}`);
    texts.set(e.file, text.slice(0, at) + e.replace + text.slice(at + e.find.length));
  }
  const ws = new Workspace();
  for (const [f, t] of texts) ws.set(uriOf(f), t);
  return ws;
}

function errorsOf(ws: Workspace): string[] {
  const out: string[] = [];
  for (const [uri, ds] of ws.analysis().diagnostics) for (const d of ds) if (d.severity === 'error') out.push(`${path.basename(uri)}: ${d.code} ${d.message}`);
  return out;
}

function compare(edits: Edit[]): CompatResult {
  const baseline = workspaceOf();
  const current = workspaceOf(edits);
  assert.deepEqual(errorsOf(current), [], 'the edited examples have no language errors');
  return compareWorkspaces({
    baseline: { analysis: baseline.analysis(), label: 'examples' },
    current: { analysis: current.analysis(), label: 'edited' },
  });
}

// ---- rendering ----

const rulesOf = (cell: MatrixCell) => [...new Set(cell.reasons.map((r) => /^(VS\d{3})\b/.exec(r)?.[1]).filter((x): x is string => !!x))].sort();

/** `first … last (n)` over the machine types in the result's order. */
function span(machines: string[]): string {
  return machines.length === 1 ? machines[0] : `${machines[0]} … ${machines[machines.length - 1]} (${machines.length})`;
}

/** A finding's machine types: a span when they are consecutive in the result's order, else all of them. */
function machinesText(r: CompatResult, machines: string[]): string {
  const from = r.machines.indexOf(machines[0]);
  const consecutive = from >= 0 && machines.every((m, i) => r.machines[from + i] === m);
  return consecutive ? span(machines) : machines.join(', ');
}

function renderMatrix(r: CompatResult): string {
  const lines: string[] = [`machine types: ${span(r.machines)}`, ''];
  const order = new Map(r.machines.map((m, i) => [m, i]));
  const descriptions = [...new Set(r.matrix.map((c) => c.description))].sort();
  const width = Math.max(...descriptions.map((d) => d.length));
  for (const d of descriptions) {
    for (const dir of DIRECTIONS) {
      const cells = r.matrix.filter((c) => c.description === d && c.direction === dir).sort((a, b) => order.get(a.machine)! - order.get(b.machine)!);
      let run: { verdict: string; rules: string; machines: string[] } | undefined;
      const flush = () => {
        if (run) lines.push(`${d.padEnd(width)}  ${dir}  ${run.verdict.padEnd(7)}  ${span(run.machines)}${run.rules ? `  ${run.rules}` : ''}`);
      };
      for (const c of cells) {
        const rules = rulesOf(c).join(' ');
        if (run && run.verdict === c.verdict && run.rules === rules) run.machines.push(c.machine);
        else {
          flush();
          run = { verdict: c.verdict, rules, machines: [c.machine] };
        }
      }
      flush();
    }
  }
  lines.push('', 'findings:');
  for (const f of r.findings) {
    lines.push(`${f.rule} ${f.severity} ${f.subject} [${f.directions.join(', ')}]${f.machines ? ` ${machinesText(r, f.machines)}` : ''} (${path.basename(f.place.uri)}, ${f.place.side})`);
  }
  return lines.join('\n') + '\n';
}

function checkGolden(name: string, r: CompatResult): void {
  const got = renderMatrix(r);
  const file = path.join(GOLDEN, `${name}.matrix.txt`);
  if (updateGolden) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, got);
  }
  assert.ok(fs.existsSync(file), `no golden ${file} (UPDATE_GOLDEN=1 to create it)`);
  assert.equal(got, fs.readFileSync(file, 'utf8'), `golden ${file} differs (UPDATE_GOLDEN=1 to regenerate)`);
}

// ---- helpers for the explicit assertions ----

function cells(r: CompatResult, description: string, direction: Direction): Map<string, MatrixCell> {
  return new Map(r.matrix.filter((c) => c.description === description && c.direction === direction).map((c) => [c.machine, c]));
}

function verdicts(r: CompatResult, description: string, direction: Direction): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [m, c] of cells(r, description, direction)) out[m] = c.verdict;
  return out;
}

function everyMachine(r: CompatResult, verdict: (machine: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of r.machines) out[m] = verdict(m);
  return out;
}

const findingsOf = (r: CompatResult, rule: RuleId) => r.findings.filter((f) => f.rule === rule);
const show = (list: Finding[]) => list.map((f) => `${f.rule} ${f.subject} [${f.directions.join(', ')}] ${f.machines?.join(',') ?? '*'}: ${f.message}`).join('\n');

/** The quick-fix facts a test relies on (the engine may add more). */
const pick = (data: Record<string, unknown> | undefined, ...keys: string[]) => Object.fromEntries(keys.map((k) => [k, data?.[k]]));

/** Machine-type version: pc-i440fx-6.2 → [6, 2]. */
function version(machine: string): [number, number] {
  const m = /-(\d+)\.(\d+)$/.exec(machine);
  assert.ok(m, machine);
  return [Number(m[1]), Number(m[2])];
}
const atMost = (machine: string, major: number, minor: number) => {
  const [a, b] = version(machine);
  return a < major || (a === major && b <= minor);
};

// ---- the edits ----

/** A subsection of e1000 gated by a new property x-foo (bool, default true). */
const e1000Gated: Edit[] = [
  {
    file: 'e1000.vmsd',
    find: '        "tx.tso_props.tcp": i8\n    }\n}\n',
    replace:
      '        "tx.tso_props.tcp": i8\n    }\n\n' +
      '    /// A new subsection, sent when x-foo is on.\n' +
      '    subsection foo needed (property(x-foo)) {\n' +
      '        version 1\n' +
      '        minimum_version 1\n' +
      '        foo_reg: u32\n' +
      '    }\n}\n',
  },
  {
    file: 'e1000.vmsd',
    find: 'device e1000 : e1000-base {\n    state e1000\n',
    replace: 'device e1000 : e1000-base {\n    state e1000\n\n    /// Gates e1000/foo; off for pc-i440fx-7.1 and older.\n    property x-foo: bool = true\n',
  },
];

const x_fooOff7_1: Edit = {
  file: 'pc-i440fx.vmsd',
  find: 'machine "pc-i440fx-7.1" : "pc-i440fx-7.2" {}',
  replace: 'machine "pc-i440fx-7.1" : "pc-i440fx-7.2" {\n    e1000.x-foo = false\n}',
};

describe('compat matrix: examples/ with small edits (goldens in test/fixtures/compat/golden)', () => {
  it('examples/ compared with itself: every cell ok, no findings', () => {
    const r = compare([]);
    assert.deepEqual(show(r.findings), '');
    assert.deepEqual(r.matrix.filter((c) => c.verdict !== 'ok'), []);
    assert.equal(r.machines[0], 'pc-i440fx-1.4');
    assert.equal(r.machines[r.machines.length - 1], 'pc-i440fx-7.2');
    checkGolden('unchanged', r);
  });

  it('(1) e1000 gets a subsection gated by x-foo, off for pc-i440fx-7.1 and older: new→old breaks on 7.2 only (VS040)', () => {
    const r = compare([...e1000Gated, x_fooOff7_1]);
    assert.deepEqual(verdicts(r, 'e1000', 'old→new'), everyMachine(r, () => 'ok'));
    assert.deepEqual(verdicts(r, 'e1000', 'new→old'), everyMachine(r, (m) => (m === 'pc-i440fx-7.2' ? 'error' : 'ok')));
    assert.deepEqual(rulesOf(cells(r, 'e1000', 'new→old').get('pc-i440fx-7.2')!), ['VS040']);
    const vs040 = findingsOf(r, 'VS040');
    assert.equal(vs040.length, 1, show(r.findings));
    assert.equal(vs040[0].subject, 'e1000/foo');
    assert.deepEqual(vs040[0].directions, ['new→old']);
    assert.deepEqual(vs040[0].machines, ['pc-i440fx-7.2']);
    assert.equal(vs040[0].place.uri, uriOf('e1000.vmsd'));
    // Nothing else changes: the other descriptions stay ok everywhere.
    assert.deepEqual(r.matrix.filter((c) => c.description !== 'e1000' && c.verdict !== 'ok'), []);
    assert.deepEqual(r.findings.map((f) => f.rule), ['VS040']);
    checkGolden('e1000-gated-subsection', r);
  });

  it('(2) the same subsection without the compat entry: new→old breaks on every machine type (VS040)', () => {
    const r = compare(e1000Gated);
    assert.deepEqual(verdicts(r, 'e1000', 'old→new'), everyMachine(r, () => 'ok'));
    assert.deepEqual(verdicts(r, 'e1000', 'new→old'), everyMachine(r, () => 'error'));
    for (const c of cells(r, 'e1000', 'new→old').values()) assert.deepEqual(rulesOf(c), ['VS040'], c.machine);
    const vs040 = findingsOf(r, 'VS040');
    assert.equal(vs040.length, 1, show(r.findings));
    assert.deepEqual(vs040[0].directions, ['new→old']);
    assert.equal(vs040[0].machines, undefined, 'every machine type');
    assert.deepEqual(pick(vs040[0].data, 'device', 'property', 'value'), { device: 'e1000', property: 'x-foo', value: 'false' });
    checkGolden('e1000-gated-subsection-no-compat', r);
  });

  it('(3) a field added in the middle of hpet: both directions break on every machine type (VS011)', () => {
    const r = compare([{ file: 'hpet.vmsd', find: '    isr: u64\n', replace: '    isr: u64\n    /// A new register.\n    gcap: u64\n' }]);
    assert.deepEqual(verdicts(r, 'hpet', 'old→new'), everyMachine(r, () => 'error'));
    assert.deepEqual(verdicts(r, 'hpet', 'new→old'), everyMachine(r, () => 'error'));
    for (const dir of DIRECTIONS) for (const c of cells(r, 'hpet', dir).values()) assert.ok(rulesOf(c).includes('VS011'), `${dir} ${c.machine}`);
    const vs011 = findingsOf(r, 'VS011');
    assert.equal(vs011.length, 1, show(r.findings));
    assert.equal(vs011[0].subject, 'hpet:gcap');
    assert.deepEqual(vs011[0].directions, ['old→new', 'new→old']);
    assert.equal(vs011[0].machines, undefined);
    assert.deepEqual(r.matrix.filter((c) => c.description !== 'hpet' && c.verdict !== 'ok'), []);
    checkGolden('hpet-field-added', r);
  });

  it('(4) the compat entry x-not-migrate-acpi-index is dropped from pc-i440fx-6.2: VS041 for 2.0 … 6.2, VS042 for every machine type ≤ 6.2', () => {
    const r = compare([{ file: 'pc-i440fx.vmsd', find: '    PIIX4_PM.x-not-migrate-acpi-index = true\n', replace: '' }]);
    // acpi_index is sent when acpi-pci-hotplug-with-bridge-support is on and
    // x-not-migrate-acpi-index off; the bridge support is off for 1.7 and older, so
    // the field is absent there on both sides anyway.
    const broken = (m: string) => atMost(m, 6, 2) && !atMost(m, 1, 7);
    for (const dir of DIRECTIONS) {
      assert.deepEqual(verdicts(r, 'piix4_pm', dir), everyMachine(r, (m) => (broken(m) ? 'error' : 'ok')), dir);
      for (const c of cells(r, 'piix4_pm', dir).values()) if (broken(c.machine)) assert.deepEqual(rulesOf(c), ['VS041'], `${dir} ${c.machine}`);
    }
    const vs041 = findingsOf(r, 'VS041');
    assert.equal(vs041.length, 1, show(r.findings));
    assert.equal(vs041[0].subject, 'piix4_pm:acpi_pci_hotplug.acpi_index');
    assert.deepEqual(vs041[0].directions, ['old→new', 'new→old']);
    assert.deepEqual(vs041[0].machines, r.machines.filter(broken));
    assert.equal(vs041[0].place.uri, uriOf('piix4_pm.vmsd'));
    // One finding for the property, listing the machine types whose value changes.
    const vs042 = findingsOf(r, 'VS042');
    assert.deepEqual(vs042.map((f) => f.subject), ['property PIIX4_PM.x-not-migrate-acpi-index']);
    assert.deepEqual(vs042[0].machines, r.machines.filter((m) => atMost(m, 6, 2)));
    assert.deepEqual(pick(vs042[0].data, 'device', 'property', 'value'), { device: 'PIIX4_PM', property: 'x-not-migrate-acpi-index', value: true });
    assert.equal(vs042[0].place.uri, uriOf('pc-i440fx.vmsd'));
    assert.deepEqual([...new Set(r.findings.map((f) => f.rule))].sort(), ['VS041', 'VS042']);
    assert.deepEqual(r.matrix.filter((c) => c.description !== 'piix4_pm' && c.verdict !== 'ok'), []);
    checkGolden('piix4_pm-compat-entry-removed', r);
  });
});
