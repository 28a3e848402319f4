import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../util/cli';
import { examplesDir, repoRoot } from '../util/paths';
import { validateSarif } from '../util/sarif';

/**
 * `vmsd check --baseline`: compatibility findings in the text, JSON and SARIF outputs,
 * the verdict matrix, suppressions (inline and acknowledged), and the baseline forms
 * (a folder, git:<rev>, a QEMU -dump-vmstate file). The descriptions compared are copies
 * of examples/ with one change each, in a temporary folder that is the current folder of
 * every run, so that paths print short and stable (`base/hpet.vmsd:44:5`).
 */

const cli = path.join(repoRoot, 'out', 'server', 'src', 'cli', 'main.js');
const examplesText = (file: string) => fs.readFileSync(path.join(examplesDir, file), 'utf8');
/** Every machine type of the examples is known to both sides of a copy. */
const MACHINES = (examplesText('pc-i440fx.vmsd').match(/^machine "/gm) ?? []).length;

type Edits = Record<string, Array<[from: string, to: string]>>;

describe('cli: vmsd check --baseline', function () {
  let root: string;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-baseline-'));
    fs.cpSync(examplesDir, path.join(root, 'base'), { recursive: true });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  /** `vmsd check ARGS` with the temporary folder as the current folder. */
  const check = (...args: string[]) => runCli(['check', ...args], root);

  /** A copy of the examples as `<root>/<name>` with the edits applied (each `from` occurs exactly once). */
  function variant(name: string, edits: Edits = {}): string {
    const dir = path.join(root, name);
    fs.cpSync(examplesDir, dir, { recursive: true });
    for (const [file, list] of Object.entries(edits)) {
      let text = fs.readFileSync(path.join(dir, file), 'utf8');
      for (const [from, to] of list) {
        assert.equal(text.split(from).length, 2, `${file}: ${JSON.stringify(from)} occurs exactly once`);
        text = text.replace(from, () => to);
      }
      fs.writeFileSync(path.join(dir, file), text);
    }
    return name;
  }

  /** `dir/file:LINE:COL` of `needle` (which occurs exactly once), `skip` characters into it. */
  function at(dir: string, file: string, needle: string, skip = 0): string {
    const text = fs.readFileSync(path.join(root, dir, file), 'utf8');
    assert.equal(text.split(needle).length, 2, `${dir}/${file}: ${JSON.stringify(needle)} occurs exactly once`);
    const before = text.slice(0, text.indexOf(needle) + skip).split('\n');
    return `${dir}/${file}:${before.length}:${before[before.length - 1].length + 1}`;
  }

  /** The output lines of compatibility findings and their notes (no language hints or summary). */
  const vsLines = (out: string) => out.split('\n').filter((l) => / (error|warning|info) VS\d{3} /.test(l) || / note: /.test(l));
  const summary = (out: string) => out.trimEnd().split('\n').at(-1)!;

  // The changes the tests share.
  const SCR = '    scr: u8\n'; // serial.vmsd: a field no other file refers to
  const HPET_V3: Edits = { 'hpet.vmsd': [['    version 2\n', '    version 3\n']] };
  const VS004_HPET = '"hpet": version raised from 2 to 3; the old destination accepts versions 1–2 and gets 3';
  const VS010_SCR = 'field "scr" (u8) was removed: the old side still sends and reads its 1 byte; keep `unused 1` in its place';
  const ENUM_IDLE: Edits = { 'fdc.vmsd': [['    result = 3,\n', '    result = 3,\n    idle = 4,\n']] };
  const VS051_IDLE = 'enum member FDPhase.idle (4) is new: a new source may send a value the old side does not define';
  /** e1000 gains a subsection gated by a new property. */
  const E1000_FOO: Array<[string, string]> = [
    ['        "tx.tso_props.tcp": i8\n    }\n}\n', '        "tx.tso_props.tcp": i8\n    }\n\n    subsection foo needed (property(x-foo)) {\n        version 1\n        foo_reg: u32\n    }\n}\n'],
    ['    property init-vet: bool = true\n}\n\n/// Intel 82544GC', '    property init-vet: bool = true\n    property x-foo: bool = true\n}\n\n/// Intel 82544GC'],
  ];
  const VS040_FOO =
    'subsection "e1000/foo" is new and sent while e1000.x-foo is true (its default); an old destination does not know it. ' +
    'Add `e1000.x-foo = false` to the compat table of the machine types the old side knows';
  /** pc-i440fx-7.1 (and the machine types derived from it) turn x-foo off. */
  const FOO_OFF_71: Array<[string, string]> = [['machine "pc-i440fx-7.1" : "pc-i440fx-7.2" {}\n', 'machine "pc-i440fx-7.1" : "pc-i440fx-7.2" {\n    e1000.x-foo = false\n}\n']];

  describe('text output', () => {
    it('a removed field: VS010 both ways, at the description, with a note at the baseline field; exit 1', async () => {
      const dir = variant('no-scr', { 'serial.vmsd': [[SCR, '']] });
      // The change alone is clean: what follows is about compatibility only.
      const plain = await check(dir);
      assert.equal(plain.code, 0, plain.out + plain.err);
      assert.doesNotMatch(plain.out, / (error|warning) VL/);

      const r = await check(dir, '--baseline', 'base');
      assert.equal(r.code, 1, r.out + r.err);
      assert.equal(r.err, '');
      const anchor = at(dir, 'serial.vmsd', 'vmstate serial {', 'vmstate '.length);
      const old = at('base', 'serial.vmsd', SCR, 4);
      assert.deepEqual(vsLines(r.out), [
        `${anchor}: error VS010 ${VS010_SCR} (old→new, new→old)`,
        `  ${old}: note: "scr" in the baseline`,
        `${anchor}: warning VS062 field "scr" was removed without \`reserved "scr"\`: the name could come back with another meaning, and an old destination of the keyed stream loads its default (new→old)`,
        `  ${old}: note: "scr" in the baseline`,
        `${anchor}: warning VS070 field "scr" was removed without first being marked @deprecated in a release (hygiene: breaks neither old→new nor new→old)`,
        `  ${old}: note: in the baseline`,
      ]);
      assert.equal(anchor, `${dir}/serial.vmsd:43:9`);
      assert.equal(old, 'base/serial.vmsd:56:5');
      assert.equal(summary(r.out), 'Checked 17 files (32 descriptions) against base: 1 error, 2 warnings');
    });

    it('identical descriptions: no VS finding, exit 0, the summary names the baseline', async () => {
      const dir = variant('same');
      const r = await check(dir, '--baseline', 'base');
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(r.err, '');
      assert.deepEqual(vsLines(r.out), []);
      assert.equal(r.out, 'Checked 17 files (32 descriptions) against base: 0 errors, 0 warnings\n');
    });

    it('a version bump is VS004 new→old only; --matrix gives the verdict per direction and machine types', async () => {
      const dir = variant('hpet-v3', HPET_V3);
      const r = await check(dir, '--baseline', 'base', '--matrix');
      assert.equal(r.code, 1, r.out + r.err);
      assert.deepEqual(vsLines(r.out), [
        `${at(dir, 'hpet.vmsd', 'version 3')}: error VS004 ${VS004_HPET} (new→old)`,
        `  ${at('base', 'hpet.vmsd', '    version 2\n', 4)}: note: version 2, minimum_version 1 in the baseline`,
      ]);
      assert.equal(MACHINES, 31);
      assert.ok(r.out.includes(`\nVerdicts against base (${MACHINES} machine types known to both sides):\ndescription  direction  machine types  verdict  reason\n`), r.out);
      const rows = r.out.split('\n').filter((l) => /^hpet\s/.test(l));
      assert.equal(rows.length, 2, r.out);
      assert.match(rows[0], new RegExp(`^hpet\\s+old→new\\s+all ${MACHINES}\\s+ok\\s+same wire layout$`));
      assert.match(rows[1], new RegExp(`^hpet\\s+new→old\\s+all ${MACHINES}\\s+error\\s+VS004 "hpet": version raised from 2 to 3; `));
      // The descriptions that did not change are ok both ways.
      assert.match(r.out, new RegExp(`^serial\\s+old→new\\s+all ${MACHINES}\\s+ok\\s+same wire layout$`, 'm'));
      assert.match(r.out, new RegExp(`^serial\\s+new→old\\s+all ${MACHINES}\\s+ok\\s+same wire layout$`, 'm'));
      assert.equal(summary(r.out), 'Checked 17 files (32 descriptions) against base: 1 error, 0 warnings');
      // No matrix without --matrix.
      assert.doesNotMatch((await check(dir, '--baseline', 'base')).out, /Verdicts against/);
    });

    it('a new subsection gated by a new property: VS040 for the machine types that do not turn it off', async () => {
      const dir = variant('foo-gated', { 'e1000.vmsd': E1000_FOO, 'pc-i440fx.vmsd': FOO_OFF_71 });
      const plain = await check(dir);
      assert.equal(plain.code, 0, plain.out);
      const r = await check(dir, '--baseline', 'base', '--matrix');
      assert.equal(r.code, 1, r.out + r.err);
      const anchor = at(dir, 'e1000.vmsd', 'subsection foo ', 'subsection '.length);
      assert.deepEqual(vsLines(r.out), [`${anchor}: error VS040 ${VS040_FOO} [machine type pc-i440fx-7.2] (new→old)`]);
      const rows = r.out.split('\n').filter((l) => /^e1000\s/.test(l));
      assert.equal(rows.length, 3, r.out);
      assert.match(rows[0], new RegExp(`^e1000\\s+old→new\\s+all ${MACHINES}\\s+ok\\s+same wire layout$`));
      assert.match(rows[1], new RegExp(`^e1000\\s+new→old\\s+pc-i440fx-1\\.4 … pc-i440fx-7\\.1 \\(${MACHINES - 1}\\)\\s+ok\\s+subsection "e1000/foo" is not sent \\(needed \\(property\\(x-foo\\)\\)\\)$`));
      assert.match(rows[2], /^e1000\s+new→old\s+pc-i440fx-7\.2\s+error\s+VS040 subsection "e1000\/foo" is new and sent /);
      assert.equal(summary(r.out), 'Checked 17 files (32 descriptions) against base: 1 error, 0 warnings');
    });

    it('without a compat entry VS040 holds for every machine type, and no machine types are listed', async () => {
      const dir = variant('foo-ungated', { 'e1000.vmsd': E1000_FOO });
      const r = await check(dir, '--baseline', 'base', '--matrix');
      assert.equal(r.code, 1, r.out + r.err);
      assert.deepEqual(vsLines(r.out), [`${at(dir, 'e1000.vmsd', 'subsection foo ', 'subsection '.length)}: error VS040 ${VS040_FOO} (new→old)`]);
      assert.match(r.out, new RegExp(`^e1000\\s+new→old\\s+all ${MACHINES}\\s+error\\s+VS040 `, 'm'));
    });

    it('--fail-on warning: a warning-only change (an enum member added, VS051) fails only then', async () => {
      const dir = variant('enum-idle', ENUM_IDLE);
      const line = `${at(dir, 'fdc.vmsd', '    idle = 4', 4)}: warning VS051 ${VS051_IDLE} (new→old)`;
      const r = await check(dir, '--baseline', 'base');
      assert.equal(r.code, 0, r.out + r.err);
      assert.deepEqual(vsLines(r.out), [line]);
      assert.equal(summary(r.out), 'Checked 17 files (32 descriptions) against base: 0 errors, 1 warning');
      const w = await check(dir, '--baseline', 'base', '--fail-on', 'warning');
      assert.equal(w.code, 1, w.out + w.err);
      assert.deepEqual(vsLines(w.out), [line]);
    });
  });

  describe('machine-readable output', () => {
    it('--format json: findings with directions, machines, baseline and subject; the matrix; the counts', async () => {
      const dir = variant('json', { 'e1000.vmsd': E1000_FOO, 'pc-i440fx.vmsd': FOO_OFF_71, ...HPET_V3 });
      const r = await check(dir, '--baseline', 'base', '--format', 'json');
      assert.equal(r.code, 1, r.err);
      const j = JSON.parse(r.out);
      assert.equal(j.files.length, 17);
      const vs = j.diagnostics.filter((d: { code: string }) => d.code.startsWith('VS'));
      assert.deepEqual(
        vs.map((d: Record<string, unknown>) => ({ file: d.file, code: d.code, severity: d.severity, directions: d.directions, machines: d.machines, baseline: d.baseline, subject: d.subject })),
        [
          { file: `${dir}/e1000.vmsd`, code: 'VS040', severity: 'error', directions: ['new→old'], machines: ['pc-i440fx-7.2'], baseline: 'base', subject: 'e1000/foo' },
          // Not machine-type dependent: no `machines`.
          { file: `${dir}/hpet.vmsd`, code: 'VS004', severity: 'error', directions: ['new→old'], machines: undefined, baseline: 'base', subject: 'hpet' },
        ],
      );
      const [foo, hpet] = vs;
      assert.equal(`${foo.file}:${foo.line}:${foo.column}`, at(dir, 'e1000.vmsd', 'subsection foo ', 'subsection '.length));
      assert.equal(foo.endColumn - foo.column, 'foo'.length);
      // The message as the text output prints it.
      assert.equal(foo.message, `${VS040_FOO} [machine type pc-i440fx-7.2] (new→old)`);
      assert.equal(hpet.message, `${VS004_HPET} (new→old)`);
      assert.ok(!('machines' in hpet));
      assert.deepEqual(hpet.related, [{ file: 'base/hpet.vmsd', line: 44, column: 5, message: 'version 2, minimum_version 1 in the baseline' }]);

      assert.equal(j.compatibility.length, 1);
      const c = j.compatibility[0];
      assert.equal(c.baseline, 'base');
      assert.equal(c.machines.length, MACHINES);
      assert.deepEqual([c.machines[0], c.machines.at(-1)], ['pc-i440fx-1.4', 'pc-i440fx-7.2']);
      for (const cell of c.matrix) assert.deepEqual(Object.keys(cell).sort(), ['description', 'direction', 'machine', 'reasons', 'verdict']);
      // Every description known to both sides, every machine type, both directions.
      const descriptions = new Set(c.matrix.map((x: { description: string }) => x.description));
      assert.equal(c.matrix.length, descriptions.size * MACHINES * 2);
      const bad = c.matrix.filter((x: { verdict: string }) => x.verdict !== 'ok');
      assert.equal(bad.length, MACHINES + 1);
      assert.deepEqual(
        bad.filter((x: { description: string }) => x.description === 'e1000').map((x: Record<string, unknown>) => [x.machine, x.direction, x.verdict]),
        [['pc-i440fx-7.2', 'new→old', 'error']],
      );
      assert.ok(bad.every((x: { direction: string; verdict: string }) => x.direction === 'new→old' && x.verdict === 'error'));
      assert.deepEqual(c.matrix.find((x: Record<string, string>) => x.description === 'hpet' && x.machine === 'pc-i440fx-2.0' && x.direction === 'new→old').reasons, [`VS004 ${VS004_HPET}`]);
      assert.deepEqual(j.suppressed, []);
      assert.deepEqual(j.summary, { files: 17, errors: 2, warnings: 0, infos: 0, hints: j.summary.hints, suppressed: 0 });
    });

    it('--format sarif is valid SARIF 2.1.0, with related baseline locations and suppressions', async () => {
      const dir = variant('sarif', { 'serial.vmsd': [[SCR, ''], ['vmstate serial {\n', '// vmsd-ignore VS010: removed on purpose\nvmstate serial {\n']], ...HPET_V3 });
      const r = await check(dir, '--baseline', 'base', '--format', 'sarif');
      assert.equal(r.code, 1, r.err);
      const log = JSON.parse(r.out);
      const v = validateSarif(log);
      assert.ok(v.valid, v.errors);
      assert.equal(log.version, '2.1.0');
      assert.equal(log.runs.length, 1);
      const results = log.runs[0].results.filter((x: { ruleId: string }) => x.ruleId.startsWith('VS'));
      assert.deepEqual(results.map((x: { ruleId: string; level: string }) => [x.ruleId, x.level]), [
        ['VS004', 'error'],
        ['VS062', 'warning'],
        ['VS070', 'warning'],
        ['VS010', 'error'],
      ]);
      const [vs004, , , vs010] = results;
      assert.equal(vs004.message.text, `${VS004_HPET} (new→old)`);
      assert.deepEqual(vs004.locations[0].physicalLocation, { artifactLocation: { uri: `${dir}/hpet.vmsd` }, region: { startLine: 44, startColumn: 5, endLine: 44, endColumn: 14 } });
      assert.deepEqual(vs004.relatedLocations.map((x: any) => [x.physicalLocation.artifactLocation.uri, x.physicalLocation.region.startLine, x.message.text]), [
        ['base/hpet.vmsd', 44, 'version 2, minimum_version 1 in the baseline'],
      ]);
      assert.deepEqual(vs004.suppressions, []);
      assert.deepEqual(vs004.properties, { directions: ['new→old'], baseline: 'base', subject: 'hpet' });
      // The suppressed finding is still a result, with its suppression.
      assert.equal(vs010.message.text, `${VS010_SCR} (old→new, new→old)`);
      assert.deepEqual(vs010.suppressions, [{ kind: 'inSource', justification: 'removed on purpose' }]);
      assert.equal(vs010.relatedLocations[0].physicalLocation.artifactLocation.uri, 'base/serial.vmsd');
      assert.equal(vs010.relatedLocations[0].physicalLocation.region.startLine, 56);
      const matrix = log.runs[0].properties.matrix;
      assert.ok(matrix.length > 0);
      assert.ok(matrix.every((x: { baseline: string }) => x.baseline === 'base'));
    });
  });

  describe('suppressions', () => {
    const ignore = (comment: string): Edits => ({ 'serial.vmsd': [[SCR, ''], ['vmstate serial {\n', `${comment}\nvmstate serial {\n`]] });

    it('`// vmsd-ignore VS010: reason` on the line before the anchor suppresses the finding', async () => {
      const dir = variant('ignored', ignore('// vmsd-ignore VS010: removed on purpose'));
      const r = await check(dir, '--baseline', 'base');
      assert.equal(r.code, 0, r.out + r.err);
      assert.deepEqual(vsLines(r.out).map((l) => l.replace(/^(\S+ \S+ VS\d+) .*/, '$1')), [
        `${dir}/serial.vmsd:44:9: warning VS062`,
        '  base/serial.vmsd:56:5: note: "scr" in the baseline',
        `${dir}/serial.vmsd:44:9: warning VS070`,
        '  base/serial.vmsd:56:5: note: in the baseline',
      ]);
      assert.equal(summary(r.out), 'Checked 17 files (32 descriptions) against base: 0 errors, 2 warnings, 1 suppressed');
      // One comment may name several rules; then nothing is left.
      const all = variant('ignored-all', ignore('// vmsd-ignore VS010, VS062, VS070: removed on purpose'));
      const a = await check(all, '--baseline', 'base', '--fail-on', 'warning');
      assert.equal(a.code, 0, a.out);
      assert.equal(a.out, 'Checked 17 files (32 descriptions) against base: 0 errors, 0 warnings, 3 suppressed\n');
    });

    it('a vmsd-ignore without a reason still suppresses, and is VS080', async () => {
      const dir = variant('ignored-no-reason', ignore('// vmsd-ignore VS010'));
      const r = await check(dir, '--baseline', 'base');
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(vsLines(r.out)[0], `${dir}/serial.vmsd:43:1: warning VS080 \`vmsd-ignore VS010\` gives no reason: write \`: why this break is acceptable\` (hygiene: breaks neither old→new nor new→old)`);
      assert.doesNotMatch(r.out, /VS010 field/);
      assert.equal(summary(r.out), 'Checked 17 files (32 descriptions) against base: 0 errors, 3 warnings, 1 suppressed');
      assert.equal((await check(dir, '--baseline', 'base', '--fail-on', 'warning')).code, 1);
    });

    it('a vmsd-ignore that matches nothing is VS081 (info: never fails the run)', async () => {
      const dir = variant('ignored-stale', { 'hpet.vmsd': [['vmstate hpet {\n', '// vmsd-ignore VS013: x\nvmstate hpet {\n']] });
      const r = await check(dir, '--baseline', 'base', '--fail-on', 'warning');
      assert.equal(r.code, 0, r.out + r.err);
      assert.deepEqual(vsLines(r.out), [`${at(dir, 'hpet.vmsd', '// vmsd-ignore')}: info VS081 \`vmsd-ignore VS013\` matches no finding here: remove it (hygiene: breaks neither old→new nor new→old)`]);
      assert.equal(summary(r.out), 'Checked 17 files (32 descriptions) against base: 0 errors, 0 warnings');
      // Without --baseline the comment is not looked at.
      assert.equal((await check(dir)).out, 'Checked 17 files (32 descriptions): 0 errors, 0 warnings\n');
    });

    it('--acknowledged FILE: `VSnnn subject: reason` suppresses; an entry that matches nothing is VS082', async () => {
      const dir = variant('acked', HPET_V3);
      fs.writeFileSync(path.join(root, 'acks.txt'), '# planned breaks\nVS004 hpet: planned for 8.0\n');
      const r = await check(dir, '--baseline', 'base', '--acknowledged', 'acks.txt');
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(r.out, 'Checked 17 files (32 descriptions) against base: 0 errors, 0 warnings, 1 suppressed\n');
      const j = JSON.parse((await check(dir, '--baseline', 'base', '--acknowledged', 'acks.txt', '--format', 'json')).out);
      assert.deepEqual(j.suppressed, [{ code: 'VS004', subject: 'hpet', kind: 'external', justification: 'planned for 8.0' }]);

      fs.writeFileSync(path.join(root, 'acks-stale.txt'), 'VS004 hpet: planned for 8.0\nVS010 serial:scr: gone\n');
      const s = await check(dir, '--baseline', 'base', '--acknowledged', 'acks-stale.txt', '--fail-on', 'warning');
      assert.equal(s.code, 0, s.out + s.err);
      assert.equal(
        s.out,
        'acks-stale.txt:2:1: info VS082 the acknowledgement of VS010 serial:scr matches no finding: remove it (hygiene: breaks neither old→new nor new→old)\n' +
          'Checked 17 files (32 descriptions) against base: 0 errors, 0 warnings, 1 suppressed\n',
      );

      fs.writeFileSync(path.join(root, 'acks-no-reason.txt'), 'VS004 hpet\n');
      const n = await check(dir, '--baseline', 'base', '--acknowledged', 'acks-no-reason.txt');
      assert.equal(n.code, 0, n.out + n.err);
      assert.equal(n.out, 'acks-no-reason.txt:1:1: warning VS080 the acknowledgement of VS004 hpet gives no reason (hygiene: breaks neither old→new nor new→old)\nChecked 17 files (32 descriptions) against base: 0 errors, 1 warning, 1 suppressed\n');
    });

    it('--acknowledged: a malformed or missing file is exit 2, FILE:line on stderr', async () => {
      const dir = variant('acked-bad', HPET_V3);
      fs.writeFileSync(path.join(root, 'acks-bad.txt'), 'VS004 hpet: planned\nthis is not an entry\nVS999 x: y\n');
      const r = await check(dir, '--baseline', 'base', '--acknowledged', 'acks-bad.txt');
      assert.equal(r.code, 2);
      assert.equal(r.out, '');
      assert.equal(r.err, 'vmsd: acks-bad.txt:2: expected `VSnnn subject: reason`\nvmsd: acks-bad.txt:3: unknown rule VS999\n');
      const m = await check(dir, '--baseline', 'base', '--acknowledged', 'no-such-acks.txt');
      assert.equal(m.code, 2);
      assert.equal(m.err, 'vmsd: no-such-acks.txt: no such file\n');
    });

    it('.vmsd-acknowledged in the current folder is read by default; --acknowledged replaces it', async () => {
      variant('acked-default', HPET_V3);
      const cwd = path.join(root, 'with-default-acks');
      fs.mkdirSync(cwd);
      fs.writeFileSync(path.join(cwd, '.vmsd-acknowledged'), 'VS004 hpet: planned for 8.0\n');
      fs.writeFileSync(path.join(cwd, 'empty.txt'), '');
      const r = await runCli(['check', '../acked-default', '--baseline', '../base'], cwd);
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(r.out, 'Checked 17 files (32 descriptions) against ../base: 0 errors, 0 warnings, 1 suppressed\n');
      const e = await runCli(['check', '../acked-default', '--baseline', '../base', '--acknowledged', 'empty.txt'], cwd);
      assert.equal(e.code, 1, e.out + e.err);
      assert.match(e.out, /^\.\.\/acked-default\/hpet\.vmsd:44:5: error VS004 /);
      // Elsewhere (no such file in the current folder) nothing is acknowledged.
      assert.equal((await check('acked-default', '--baseline', 'base')).code, 1);
    });
  });

  describe('baselines', () => {
    // Without the GIT_* variables a hook or a CI job may set (GIT_DIR would name another repository).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
    const git = (cwd: string, ...args: string[]) => {
      const g = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], { cwd, env, encoding: 'utf8' });
      assert.equal(g.status, 0, `git ${args.join(' ')}: ${g.stderr}`);
    };
    /** The built CLI in a child process (its own current folder, as a user runs it). */
    const vmsd = (cwd: string, ...args: string[]) => {
      const p = spawnSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8' });
      return { code: p.status, out: p.stdout, err: p.stderr };
    };

    it('git:<rev>: the baseline from git, its locations as git:<rev>:<path from the top>; an unknown rev is exit 2', function () {
      if (spawnSync('git', ['--version'], { env }).status !== 0) this.skip();
      const repo = path.join(root, 'repo');
      fs.mkdirSync(repo);
      fs.cpSync(examplesDir, path.join(repo, 'ex'), { recursive: true });
      git(repo, 'init', '-q');
      git(repo, 'add', '.');
      git(repo, 'commit', '-q', '-m', 'examples');
      const hpet = path.join(repo, 'ex', 'hpet.vmsd');
      fs.writeFileSync(hpet, fs.readFileSync(hpet, 'utf8').replace('    version 2\n', '    version 3\n'));

      const r = vmsd(repo, 'check', '.', '--baseline', 'git:HEAD');
      assert.equal(r.code, 1, r.out + r.err);
      assert.equal(r.err, '');
      assert.equal(
        r.out,
        `ex/hpet.vmsd:44:5: error VS004 ${VS004_HPET} (new→old)\n` +
          '  git:HEAD:ex/hpet.vmsd:44:5: note: version 2, minimum_version 1 in the baseline\n' +
          'Checked 17 files (32 descriptions) against git:HEAD: 1 error, 0 warnings\n',
      );
      // From a subfolder: the checked files are shown from there, the baseline's from the top.
      const sub = vmsd(path.join(repo, 'ex'), 'check', '--baseline', 'git:HEAD');
      assert.equal(sub.code, 1, sub.out + sub.err);
      assert.deepEqual(vsLines(sub.out), [`hpet.vmsd:44:5: error VS004 ${VS004_HPET} (new→old)`, '  git:HEAD:ex/hpet.vmsd:44:5: note: version 2, minimum_version 1 in the baseline']);
      // From outside the repository: the repository is the checked files'.
      const outside = vmsd(os.tmpdir(), 'check', path.join(repo, 'ex'), '--baseline', 'git:HEAD');
      assert.equal(outside.code, 1, outside.out + outside.err);
      assert.ok(vsLines(outside.out).includes('  git:HEAD:ex/hpet.vmsd:44:5: note: version 2, minimum_version 1 in the baseline'), outside.out);
      // The working tree was not touched.
      assert.match(fs.readFileSync(hpet, 'utf8'), /^ {4}version 3$/m);

      const u = vmsd(repo, 'check', '.', '--baseline', 'git:no-such-rev');
      assert.equal(u.code, 2);
      assert.equal(u.out, '');
      assert.match(u.err, /^vmsd: baseline git:no-such-rev: .*unknown revision\n$/);
      const none = vmsd(repo, 'check', '.', '--baseline', 'git:HEAD~1');
      assert.equal(none.code, 2);
      assert.match(none.err, /git:HEAD~1: .*unknown revision/);
    });

    it('two baselines: each compared on its own, findings say which, the summary names both', async () => {
      const newer = variant('newer', HPET_V3);
      const dir = variant('two', { ...HPET_V3, ...ENUM_IDLE });
      const r = await check(dir, '--baseline', 'base', '--baseline', newer, '--matrix');
      assert.equal(r.code, 1, r.out + r.err);
      const idle = at(dir, 'fdc.vmsd', '    idle = 4', 4);
      assert.deepEqual(vsLines(r.out), [
        `${idle}: warning VS051 ${VS051_IDLE} [against base] (new→old)`,
        `${idle}: warning VS051 ${VS051_IDLE} [against newer] (new→old)`,
        `${dir}/hpet.vmsd:44:5: error VS004 ${VS004_HPET} [against base] (new→old)`,
        '  base/hpet.vmsd:44:5: note: version 2, minimum_version 1 in the baseline',
      ]);
      assert.ok(r.out.includes(`\nVerdicts against base (${MACHINES} machine types known to both sides):\n`));
      assert.ok(r.out.includes(`\nVerdicts against newer (${MACHINES} machine types known to both sides):\n`));
      assert.equal(summary(r.out), 'Checked 17 files (32 descriptions) against base, newer: 1 error, 2 warnings');
      const j = JSON.parse((await check(dir, '--baseline', 'base', '--baseline', newer, '--format', 'json')).out);
      assert.deepEqual(j.compatibility.map((c: { baseline: string }) => c.baseline), ['base', 'newer']);
      // One baseline: no [against …].
      assert.doesNotMatch((await check(dir, '--baseline', 'base')).out, /\[against/);
    });

    it('a baseline that cannot be read is exit 2', async () => {
      const dir = variant('unreadable');
      const r = await check(dir, '--baseline', 'no-such-folder');
      assert.equal(r.code, 2);
      assert.equal(r.out, '');
      assert.match(r.err, /^vmsd: baseline no-such-folder: /);
    });

    describe('a QEMU -dump-vmstate file of the same release (QEMU 7.2, as the examples)', () => {
      const DUMP = 'test/fixtures/qemu/dump-pc-i440fx-7.2.json.gz';
      interface Entry { file: string; line: number; column: number; severity: string; code: string; message: string; directions?: string[]; subject?: string; related: Array<{ file: string }> }
      let json: { diagnostics: Entry[]; compatibility: Array<{ baseline: string; machines: string[] }>; summary: { errors: number } };
      let text: string;
      let described: Set<string>;

      before(async () => {
        const r = await runCli(['check', 'examples', '--baseline', DUMP, '--format', 'json'], repoRoot);
        assert.equal(r.err, '');
        json = JSON.parse(r.out);
        text = (await runCli(['check', 'examples', '--baseline', DUMP], repoRoot)).out;
        // The wire names of the sections the examples describe.
        const s = await runCli(['check', 'examples', '--summary'], repoRoot);
        const rows = s.out.split('\n\n')[0].split('\n').slice(2);
        described = new Set(rows.map((l) => l.split(/\s+/)[1]));
        assert.ok(described.has('hpet') && described.has('serial') && described.has('e1000'), s.out);
      });

      it('is read in memory, shown as DUMP#<file>:LINE:COL, and compared without machine types', () => {
        assert.equal(json.compatibility.length, 1);
        assert.equal(json.compatibility[0].baseline, DUMP);
        assert.deepEqual(json.compatibility[0].machines, ['(defaults)']);
        assert.ok(!fs.existsSync(path.join(repoRoot, DUMP + '.vmsd-import')));
        const vs001 = json.diagnostics.filter((d) => d.code === 'VS001');
        assert.ok(vs001.length > 100);
        for (const d of vs001) assert.match(d.file, /^test\/fixtures\/qemu\/dump-pc-i440fx-7\.2\.json\.gz#[\w.-]+\.vmsd$/);
        assert.match(text, /^test\/fixtures\/qemu\/dump-pc-i440fx-7\.2\.json\.gz#ac97\.vmsd:\d+:\d+: info VS001 section "ac97" of the -dump-vmstate baseline is not described in the files checked \(old→new\)$/m);
        assert.equal(text.trimEnd().split('\n').at(-1)!, 'Checked 17 files (32 descriptions) against test/fixtures/qemu/dump-pc-i440fx-7.2.json.gz: 0 errors, 0 warnings');
      });

      it('VS001 (old→new, info: a dump has every class of the binary) only for the device classes the examples do not describe', () => {
        const vs001 = json.diagnostics.filter((d) => d.code === 'VS001');
        for (const d of vs001) {
          assert.equal(d.severity, 'info');
          assert.deepEqual(d.directions, ['old→new']);
          const section = /section "([^"]+)"/.exec(d.message)![1];
          assert.ok(!described.has(section), `VS001 for ${section}, which the examples describe`);
        }
        assert.equal(new Set(vs001.map((d) => d.subject)).size, vs001.length, 'one VS001 per description');
      });

      it('no version findings, and no type or size findings (the dump has no types)', () => {
        const codes = new Set(json.diagnostics.map((d) => d.code));
        for (const code of ['VS002', 'VS004', 'VS005', 'VS006', 'VS013', 'VS014', 'VS015', 'VS030', 'VS031', 'VS032']) assert.ok(!codes.has(code), code);
      });

      // The examples are what QEMU 7.2 sends: nothing but VS001. Once false positives:
      // VS016 (a dump has no counts), fw_cfg's `cur_offset#2` (the example's
      // cur_offset_v1 and cur_offset; the dump's first has an opaque test), e1000's
      // `unused 4` tested for version 1.
      it('nothing but VS001: the examples are what QEMU 7.2 sends', () => {
        const others = json.diagnostics.filter((d) => d.code.startsWith('VS') && d.code !== 'VS001');
        assert.deepEqual(others.map((d) => `${d.file}:${d.line}:${d.column}: ${d.code} ${d.message}`), []);
        assert.ok(!json.diagnostics.some((d) => d.code === 'VS016'), 'VS013–VS016 cannot fire against a dump');
      });
    });
  });
});
