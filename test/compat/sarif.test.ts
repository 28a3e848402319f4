import * as assert from 'node:assert/strict';
import type * as Sarif from 'sarif';
import { CompatResult, Finding } from '../../server/src/compat/findings';
import { RULES } from '../../server/src/compat/rules';
import { messageWithDirections, SarifInput, SarifPlace, toSarif } from '../../server/src/compat/sarif';
import { Diagnostic } from '../../server/src/diagnostics/diagnostic';
import { validateSarif as validate } from '../util/sarif';

/**
 * The SARIF writer against the SARIF 2.1.0 JSON schema (the one Microsoft's SARIF SDK
 * publishes, shipped in @microsoft/jest-sarif; draft-04, hence ajv-draft-04).
 */

// Two small workspaces, one file each.
const texts: Record<string, string> = {
  'file:///ws/new/e1000.vmsd': 'description e1000 {\n  version 3\n  u32 mac;\n  u16 rxbuf_size;\n}\n',
  'file:///ws/old/e1000.vmsd': 'description e1000 {\n  version 2\n  u32 mac;\n  u32 rxbuf_size;\n  u8 itr;\n}\n',
};
const at = (uri: string, needle: string) => {
  const start = texts[uri].indexOf(needle);
  assert.ok(start >= 0, needle);
  return { uri, start, end: start + needle.length };
};
const NEW = 'file:///ws/new/e1000.vmsd';
const OLD = 'file:///ws/old/e1000.vmsd';

function locate(p: SarifPlace) {
  const text = texts[p.uri];
  const pos = (offset: number) => {
    const before = text.slice(0, offset).split('\n');
    return { line: before.length, column: before[before.length - 1].length + 1 };
  };
  const s = pos(p.start);
  const e = pos(p.end);
  const side = p.side === 'baseline' ? 'BASELINE' : 'SRCROOT';
  return { uri: p.uri.replace(/^file:\/\/\/ws\/(new|old)\//, ''), uriBaseId: side, startLine: s.line, startColumn: s.column, endLine: e.line, endColumn: e.column };
}

const sizeChanged: Finding = {
  rule: 'VS013',
  severity: 'error',
  message: 'field `rxbuf_size` of `e1000` takes 2 bytes, 4 in the baseline',
  place: { side: 'current', ...at(NEW, 'u16 rxbuf_size') },
  related: [{ side: 'baseline', ...at(OLD, 'u32 rxbuf_size'), message: 'the baseline field' }],
  directions: ['old→new', 'new→old'],
  machines: ['pc-i440fx-7.2', 'pc-i440fx-8.0'],
  subject: 'e1000:rxbuf_size',
  baseline: 'git:v7.2',
};
const removed: Finding = {
  rule: 'VS010',
  severity: 'error',
  message: 'field `itr` of `e1000` is removed',
  place: { side: 'baseline', ...at(OLD, 'u8 itr') },
  related: [
    { side: 'baseline', ...at(OLD, 'description e1000'), message: 'the baseline description' },
    { side: 'current', ...at(NEW, 'description e1000'), message: 'the description now' },
  ],
  directions: ['old→new', 'new→old'],
  subject: 'e1000:itr',
  baseline: 'git:v7.2',
};
const versionRaised: Finding = {
  rule: 'VS004',
  severity: 'error',
  message: '`e1000` sends version 3, the baseline loads at most 2',
  place: { side: 'current', ...at(NEW, 'version 3') },
  related: [],
  directions: ['new→old'],
  subject: 'e1000',
  baseline: 'git:v7.2',
};
const hygiene: Finding = {
  rule: 'VS070',
  severity: 'warning',
  message: 'field `itr` was removed without first being marked @deprecated',
  place: { side: 'baseline', ...at(OLD, 'u8 itr') },
  related: [],
  directions: [],
  subject: 'e1000:itr',
  baseline: 'git:v7.2',
};
const staleAck: Finding = {
  rule: 'VS082',
  severity: 'info',
  message: 'the acknowledgement of VS013 for `e1000:mac` matches no finding',
  place: { side: 'current', ...at(NEW, 'u32 mac') },
  related: [],
  directions: [],
  subject: 'e1000:mac',
  baseline: 'git:v7.2',
};
const result: CompatResult = {
  baseline: 'git:v7.2',
  machines: ['pc-i440fx-7.2', 'pc-i440fx-8.0'],
  findings: [sizeChanged, removed, hygiene, staleAck],
  matrix: [
    { description: 'e1000', machine: 'pc-i440fx-7.2', direction: 'old→new', verdict: 'error', reasons: ['VS013 e1000:rxbuf_size', 'VS010 e1000:itr'] },
    { description: 'e1000', machine: 'pc-i440fx-7.2', direction: 'new→old', verdict: 'error', reasons: ['VS013 e1000:rxbuf_size'] },
    { description: 'e1000', machine: 'pc-i440fx-8.0', direction: 'old→new', verdict: 'ok', reasons: [] },
  ],
};
const diagnostic: Diagnostic = {
  code: 'VL500',
  severity: 'warning',
  message: 'field `mac` is never read',
  uri: NEW,
  ...(({ start, end }) => ({ start, end }))(at(NEW, 'mac')),
};

function input(extra: Partial<SarifInput> = {}): SarifInput {
  return {
    toolVersion: '0.1.0',
    diagnostics: [diagnostic],
    results: [result],
    locate,
    suppressed: [{ finding: versionRaised, kind: 'inSource', justification: 'e1000 is never migrated to 7.2' }],
    docsBase: 'https://vmsd.example/docs/compatibility.md',
    uriBaseIds: { SRCROOT: 'file:///ws/new/', BASELINE: 'file:///ws/old/' },
    ...extra,
  };
}

describe('compat: SARIF 2.1.0 output', () => {
  it('is valid against the SARIF 2.1.0 schema', () => {
    const log = toSarif(input());
    const v = validate(log);
    assert.ok(v.valid, v.errors);
    // Also as the JSON text a file would carry, and without the optional inputs.
    assert.ok(validate(JSON.parse(JSON.stringify(log))).valid);
    const bare = toSarif({ toolVersion: '0.1.0', diagnostics: [], results: [result], locate });
    const b = validate(bare);
    assert.ok(b.valid, b.errors);
  });

  it('the validator rejects what SARIF does not allow', () => {
    const log = JSON.parse(JSON.stringify(toSarif(input())));
    const bad = (mutate: (l: any) => void) => {
      const copy = JSON.parse(JSON.stringify(log));
      mutate(copy);
      return validate(copy).valid;
    };
    assert.equal(bad(() => {}), true);
    assert.equal(bad((l) => (l.runs[0].results[0].level = 'fatal')), false);
    assert.equal(bad((l) => delete l.runs[0].results[1].message), false);
    assert.equal(bad((l) => (l.runs[0].results.at(-1).suppressions[0].kind = 'inline')), false);
    assert.equal(bad((l) => (l.runs[0].results[1].locations[0].physicalLocation.region.startLine = 0)), false);
    assert.equal(bad((l) => (l.version = '2.0.0')), false);
    assert.equal(bad((l) => (l.runs[0].tool.driver.rules[0].helpUri = 'not a uri')), false);
  });

  it('matches the published SARIF typings', () => {
    const log: Sarif.Log = toSarif(input());
    assert.equal(log.version, '2.1.0');
  });

  it('describes the tool: every VS rule, and the VL codes that occur', () => {
    const log = toSarif(input());
    assert.equal(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
    assert.equal(log.runs.length, 1);
    const run = log.runs[0];
    assert.deepEqual(run.invocations, [{ executionSuccessful: true }]);
    const driver = run.tool.driver;
    assert.equal(driver.name, 'vmsd');
    assert.equal(driver.version, '0.1.0');
    assert.equal(driver.semanticVersion, '0.1.0');
    assert.equal(driver.informationUri, 'https://vmsd.example/docs/compatibility.md');
    assert.deepEqual(driver.rules.map((r) => r.id), [...Object.keys(RULES), 'VL500']);
    const vs013 = driver.rules.find((r) => r.id === 'VS013')!;
    assert.deepEqual(vs013, {
      id: 'VS013',
      name: 'field-size-changed',
      shortDescription: { text: RULES.VS013.summary },
      defaultConfiguration: { level: 'error' },
      properties: { category: 'stream', directions: ['old→new', 'new→old'] },
      helpUri: 'https://vmsd.example/docs/compatibility.md#vs013-field-size-changed',
    });
    assert.equal(driver.rules.find((r) => r.id === 'VS014')!.defaultConfiguration.level, 'warning');
    assert.equal(driver.rules.find((r) => r.id === 'VS081')!.defaultConfiguration.level, 'note');
    assert.deepEqual(driver.rules.find((r) => r.id === 'VS070')!.properties, { category: 'hygiene', directions: [] });
    assert.deepEqual(driver.rules.at(-1), { id: 'VL500', shortDescription: { text: 'unused declaration' }, defaultConfiguration: { level: 'warning' } });
    assert.deepEqual(run.originalUriBaseIds, { BASELINE: { uri: 'file:///ws/old/' }, SRCROOT: { uri: 'file:///ws/new/' } });
    assert.equal(run.columnKind, 'utf16CodeUnits');
    // Without docs, no helpUri; without diagnostics, no VL rule.
    const bare = toSarif({ toolVersion: '0.1.0', diagnostics: [], results: [result], locate });
    assert.ok(bare.runs[0].tool.driver.rules.every((r) => r.helpUri === undefined && r.id.startsWith('VS')));
    assert.equal(bare.runs[0].tool.driver.informationUri, undefined);
  });

  it('reports findings with level, direction suffix, locations, fingerprints and properties', () => {
    const run = toSarif(input()).runs[0];
    assert.deepEqual(run.results.map((r) => r.ruleId), ['VL500', 'VS013', 'VS010', 'VS070', 'VS082', 'VS004']);
    for (const r of run.results) assert.equal(run.tool.driver.rules[r.ruleIndex].id, r.ruleId);
    assert.deepEqual(run.results.map((r) => r.level), ['warning', 'error', 'error', 'warning', 'note', 'error']);

    const [vl, size, removedR, hygieneR] = run.results;
    assert.equal(vl.message.text, 'field `mac` is never read');
    assert.deepEqual(vl.locations, [{ physicalLocation: { artifactLocation: { uri: 'e1000.vmsd', uriBaseId: 'SRCROOT' }, region: { startLine: 3, startColumn: 7, endLine: 3, endColumn: 10 } } }]);
    assert.equal(vl.partialFingerprints, undefined);

    assert.equal(size.message.text, 'field `rxbuf_size` of `e1000` takes 2 bytes, 4 in the baseline (old→new, new→old)');
    assert.equal(size.message.text, messageWithDirections(sizeChanged.message, sizeChanged.directions));
    assert.deepEqual(size.locations![0].physicalLocation.region, { startLine: 4, startColumn: 3, endLine: 4, endColumn: 17 });
    assert.deepEqual(size.relatedLocations, [
      {
        id: 1,
        physicalLocation: { artifactLocation: { uri: 'e1000.vmsd', uriBaseId: 'BASELINE' }, region: { startLine: 4, startColumn: 3, endLine: 4, endColumn: 17 } },
        message: { text: 'the baseline field' },
      },
    ]);
    assert.deepEqual(size.partialFingerprints, { 'vmsd/v1': 'VS013|e1000:rxbuf_size|old→new,new→old' });
    assert.deepEqual(size.properties, { directions: ['old→new', 'new→old'], machines: ['pc-i440fx-7.2', 'pc-i440fx-8.0'], baseline: 'git:v7.2', subject: 'e1000:rxbuf_size' });
    assert.deepEqual(size.suppressions, []);

    // Reported in the baseline (a deletion), two related places on both sides.
    assert.equal(removedR.locations![0].physicalLocation.artifactLocation.uriBaseId, 'BASELINE');
    assert.equal(removedR.locations![0].physicalLocation.region.startLine, 5);
    assert.deepEqual(removedR.relatedLocations!.map((l) => [l.id, l.physicalLocation.artifactLocation.uriBaseId, l.message!.text]), [
      [1, 'BASELINE', 'the baseline description'],
      [2, 'SRCROOT', 'the description now'],
    ]);
    assert.deepEqual(removedR.properties, { directions: ['old→new', 'new→old'], baseline: 'git:v7.2', subject: 'e1000:itr' });

    // Hygiene: no directions, no suffix.
    assert.equal(hygieneR.message.text, `${hygiene.message} (hygiene: breaks neither old→new nor new→old)`);
    assert.equal(hygieneR.relatedLocations, undefined);
    assert.deepEqual(hygieneR.partialFingerprints, { 'vmsd/v1': 'VS070|e1000:itr|' });
    assert.deepEqual(hygieneR.properties!.directions, []);
  });

  it('reports suppressed findings with their suppression', () => {
    const log = toSarif(input({ suppressed: [
      { finding: versionRaised, kind: 'inSource', justification: 'e1000 is never migrated to 7.2' },
      { finding: hygiene, kind: 'external', justification: '' },
    ] }));
    const v = validate(log);
    assert.ok(v.valid, v.errors);
    const run = log.runs[0];
    const [inSource, external] = run.results.slice(-2);
    assert.equal(inSource.ruleId, 'VS004');
    assert.equal(inSource.message.text, '`e1000` sends version 3, the baseline loads at most 2 (new→old)');
    assert.deepEqual(inSource.suppressions, [{ kind: 'inSource', justification: 'e1000 is never migrated to 7.2' }]);
    assert.deepEqual(external.suppressions, [{ kind: 'external' }]);
    // Without suppression information, whether a result is suppressed is unknown: no property.
    const unknown = toSarif(input({ suppressed: undefined })).runs[0];
    assert.ok(unknown.results.every((r) => r.suppressions === undefined));
  });

  it('carries the verdict matrix and is deterministic', () => {
    const second: CompatResult = { baseline: 'git:v8.0', machines: ['(defaults)'], findings: [], matrix: [{ description: 'e1000', machine: '(defaults)', direction: 'new→old', verdict: 'warning', reasons: ['VS051 enum Mode.fast'] }] };
    const log = toSarif(input({ results: [result, second] }));
    assert.deepEqual(log.runs[0].properties.matrix, [
      { baseline: 'git:v7.2', description: 'e1000', machine: 'pc-i440fx-7.2', direction: 'old→new', verdict: 'error', reasons: ['VS013 e1000:rxbuf_size', 'VS010 e1000:itr'] },
      { baseline: 'git:v7.2', description: 'e1000', machine: 'pc-i440fx-7.2', direction: 'new→old', verdict: 'error', reasons: ['VS013 e1000:rxbuf_size'] },
      { baseline: 'git:v7.2', description: 'e1000', machine: 'pc-i440fx-8.0', direction: 'old→new', verdict: 'ok', reasons: [] },
      { baseline: 'git:v8.0', description: 'e1000', machine: '(defaults)', direction: 'new→old', verdict: 'warning', reasons: ['VS051 enum Mode.fast'] },
    ]);
    const v = validate(log);
    assert.ok(v.valid, v.errors);
    assert.equal(JSON.stringify(toSarif(input({ results: [result, second] }))), JSON.stringify(log));
  });
});
