import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareWorkspaces } from '../../server/src/compat/compare';
import { Finding, Place } from '../../server/src/compat/findings';
import { Direction, isRuleId, RuleId, RULES } from '../../server/src/compat/rules';
import { applySuppressions, parseAcknowledgements } from '../../server/src/compat/suppress';
import { Severity, severityRank } from '../../server/src/diagnostics/diagnostic';
import { Analysis } from '../../server/src/semantic/analyzer';
import { Workspace } from '../../server/src/semantic/workspace';
import { parseMarkers } from '../util/markers';
import { fixtures } from '../util/paths';

/**
 * One fixture folder per compatibility rule, test/fixtures/compat/VSnnn/:
 *   - old.vmsd: the baseline;
 *   - new.vmsd (and new-*.vmsd variants): a change where the rule fires, with a `<|…|>`
 *     marker around the exact text the finding is reported at. A finding reported in the
 *     baseline has its marker in old.vmsd (or old-VARIANT.vmsd) instead; one reported in
 *     the acknowledgements has it in `acknowledged`;
 *   - near.vmsd (and near-*.vmsd): a similar change where the rule must not fire (other
 *     rules may);
 *   - old-VARIANT.vmsd: the baseline of new-VARIANT.vmsd / near-VARIANT.vmsd, when it is
 *     not old.vmsd;
 *   - acknowledged: the acknowledged-breaks file (VS082).
 * Each side is one file, analysed on its own (no includes). The suppression rules
 * (VS080–VS082) are checked through applySuppressions on the comparison's findings.
 */

const ROOT = path.join(fixtures, 'compat');
const BOTH: Direction[] = ['old→new', 'new→old'];
const SUPPRESSION_RULES: ReadonlySet<RuleId> = new Set(['VS080', 'VS081', 'VS082']);

/** What a firing case expects besides the marked place; defaults come from RULES. */
interface Expect {
  directions?: readonly Direction[];
  severity?: Severity;
  /** Finding.machines; undefined: every machine type. */
  machines?: string[];
  /** How many findings of the rule the case gives (default 1; 'any': one or more, all at the marked place). */
  count?: number | 'any';
}

/** Keyed by `VSnnn` (new.vmsd) or `VSnnn/new-VARIANT`. */
const EXPECT: Record<string, Expect> = {
  // Lowered, but not below the old minimum_version: only an old source's stream is too new.
  VS006: { directions: ['old→new'] },
  // One machine type known to both sides changes the property's value.
  VS042: { machines: ['m-1.0'] },
  'VS042/new-entry-added': { machines: ['m-2.0'] },
  // The compat entry is on m-1.0 only: m-2.0 and m-3.0 still send the subsection.
  VS040: { machines: ['m-2.0', 'm-3.0'] },
  // Only m-1.0 lost its compat entry.
  VS041: { machines: ['m-1.0'] },
  // Lowered below the old minimum_version too: the old destination rejects the new
  // stream, the new destination the old one (one finding, or one per direction with
  // its own message).
  'VS006/new-below-minimum': { directions: BOTH, count: 'any' },
  // The condition depends on runtime state on the new side: a warning.
  'VS017/new-runtime': { severity: 'warning' },
  // The alias repairs old→new; an old destination still does not know the new key.
  'VS060/new-with-alias': { directions: ['new→old'] },
};

// ---- fixture loading ----

interface Side {
  uri: string;
  text: string;
  ranges: Array<{ start: number; end: number }>;
}

interface Case {
  rule: RuleId;
  /** `new`, `new-VARIANT`, `near`, `near-VARIANT`. */
  name: string;
  kind: 'fires' | 'near';
  old: Side;
  now: Side;
  ack?: Side;
}

function readSide(rule: string, file: string, dir: string): Side {
  const m = parseMarkers(fs.readFileSync(path.join(ROOT, rule, file), 'utf8'));
  return { uri: `file:///fixture/${rule}/${dir}/x.vmsd`, text: m.text, ranges: m.ranges };
}

function ruleFolders(): string[] {
  return fs
    .readdirSync(ROOT, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^VS\d{3}$/.test(e.name))
    .map((e) => e.name)
    .sort();
}

function casesOf(rule: RuleId): Case[] {
  const dir = path.join(ROOT, rule);
  const files = fs.readdirSync(dir).sort();
  const ackPath = path.join(dir, 'acknowledged');
  let ack: Side | undefined;
  if (fs.existsSync(ackPath)) {
    const m = parseMarkers(fs.readFileSync(ackPath, 'utf8'));
    ack = { uri: `file:///fixture/${rule}/acknowledged`, text: m.text, ranges: m.ranges };
  }
  const out: Case[] = [];
  for (const f of files) {
    const m = /^(new|near)(?:-([a-z0-9-]+))?\.vmsd$/.exec(f);
    if (!m) continue;
    const variant = m[2];
    const oldFile = variant && files.includes(`old-${variant}.vmsd`) ? `old-${variant}.vmsd` : 'old.vmsd';
    const name = f.slice(0, -'.vmsd'.length);
    out.push({
      rule,
      name,
      kind: m[1] === 'new' ? 'fires' : 'near',
      old: readSide(rule, oldFile, oldFile === 'old.vmsd' ? 'old' : name.replace(/^(new|near)/, 'old')),
      now: readSide(rule, f, name),
      ack,
    });
  }
  // The firing cases first, then the near misses.
  return out.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'fires' ? -1 : 1));
}

function analysisOf(side: Side): Analysis {
  const ws = new Workspace();
  ws.set(side.uri, side.text);
  return ws.analysis();
}

function languageErrors(a: Analysis): string[] {
  const out: string[] = [];
  for (const [uri, ds] of a.diagnostics) for (const d of ds) if (d.severity === 'error') out.push(`${uri}: ${d.code} ${d.message}`);
  return out;
}

interface Outcome {
  /** Every finding: the comparison's, plus VS080–VS082 for the suppression rules. */
  findings: Finding[];
  suppressedCount: number;
  texts: Map<string, string>;
}

function run(c: Case, opts: { toCurrent?: boolean } = {}): Outcome {
  const oldA = analysisOf(c.old);
  const nowA = analysisOf(c.now);
  const result = compareWorkspaces({
    baseline: { analysis: oldA, label: 'old' },
    current: { analysis: nowA, label: 'new' },
    ...(opts.toCurrent ? { toCurrent: (uri: string) => (uri === c.old.uri ? c.now.uri : undefined) } : {}),
  });
  const texts = new Map<string, string>([
    [c.old.uri, c.old.text],
    [c.now.uri, c.now.text],
  ]);
  if (c.ack) texts.set(c.ack.uri, c.ack.text);
  if (!SUPPRESSION_RULES.has(c.rule)) return { findings: result.findings, suppressedCount: 0, texts };
  let acks: ReturnType<typeof parseAcknowledgements>['entries'] = [];
  if (c.ack) {
    const parsed = parseAcknowledgements(c.ack.text);
    assert.deepEqual(parsed.errors, [], 'the acknowledgements parse');
    acks = parsed.entries;
  }
  const applied = applySuppressions(result.findings, (uri) => texts.get(uri), acks, c.ack?.uri, [c.now.uri]);
  return { findings: [...applied.kept, ...applied.own], suppressedCount: applied.suppressed.length, texts };
}

/** Where the marker says the finding is: new side first, then the baseline, then the acknowledgements. */
function expectedPlace(c: Case): Place {
  const pick = (side: Side, name: 'current' | 'baseline'): Place | undefined => {
    if (!side.ranges.length) return undefined;
    assert.equal(side.ranges.length, 1, `${c.rule}/${c.name}: one marker expected in ${side.uri}`);
    return { side: name, uri: side.uri, ...side.ranges[0] };
  };
  const place = pick(c.now, 'current') ?? pick(c.old, 'baseline') ?? (c.ack ? pick(c.ack, 'current') : undefined);
  assert.ok(place, `${c.rule}/${c.name}: no <|…|> marker says where the finding is expected`);
  return place;
}

function describeFinding(f: Finding, texts: Map<string, string>): string {
  const text = texts.get(f.place.uri)?.slice(f.place.start, f.place.end) ?? '?';
  return `${f.rule} ${f.severity} [${f.directions.join(', ')}] ${f.machines ? `(${f.machines.join(', ')}) ` : ''}at ${f.place.side} ${JSON.stringify(text)} ${f.place.start}-${f.place.end}: ${f.message}`;
}

function listing(o: Outcome): string {
  return o.findings.map((f) => '  ' + describeFinding(f, o.texts)).join('\n') || '  (no findings)';
}

// ---- the tests ----

const folders = ruleFolders();
const ids = Object.keys(RULES) as RuleId[];

describe('compat rules: one fixture folder per rule', () => {
  it('every rule in RULES has a fixture folder', () => {
    assert.deepEqual(
      ids.filter((id) => !folders.includes(id)),
      [],
      'add test/fixtures/compat/VSnnn/{old,new,near}.vmsd for each new rule',
    );
  });

  it('every fixture folder names a rule of RULES', () => {
    assert.deepEqual(
      folders.filter((f) => !isRuleId(f)),
      [],
    );
  });

  it('every fixture has a baseline, a change where the rule fires and a near miss', () => {
    const missing: string[] = [];
    for (const id of folders) {
      for (const f of ['old.vmsd', 'new.vmsd', 'near.vmsd']) if (!fs.existsSync(path.join(ROOT, id, f))) missing.push(`${id}/${f}`);
    }
    assert.deepEqual(missing, []);
  });

  it('every fixture file starts with a comment line saying what it shows', () => {
    const bad: string[] = [];
    for (const id of folders) {
      for (const f of fs.readdirSync(path.join(ROOT, id))) {
        const first = fs.readFileSync(path.join(ROOT, id, f), 'utf8').split('\n')[0];
        const comment = f === 'acknowledged' ? /^# \S/ : /^\/\/ \S/;
        if (!comment.test(first)) bad.push(`${id}/${f}: ${first}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('every EXPECT entry names an existing firing case', () => {
    for (const key of Object.keys(EXPECT)) {
      const [id, name = 'new'] = key.split('/');
      assert.ok(isRuleId(id) && fs.existsSync(path.join(ROOT, id, `${name}.vmsd`)), key);
    }
  });
});

for (const id of ids) {
  if (!folders.includes(id)) continue;
  describe(`compat rule ${id} (${RULES[id].name})`, () => {
    for (const c of casesOf(id)) {
      it(`${c.name}.vmsd: the fixture files have no language errors`, () => {
        assert.deepEqual(languageErrors(analysisOf(c.old)), [], `${c.rule}: baseline`);
        assert.deepEqual(languageErrors(analysisOf(c.now)), [], `${c.rule}/${c.name}`);
      });

      if (c.kind === 'fires') {
        it(`${c.name}.vmsd: ${id} fires at the marked place`, () => {
          const key = c.name === 'new' ? id : `${id}/${c.name}`;
          const exp = EXPECT[key] ?? {};
          const o = run(c);
          const place = expectedPlace(c);
          const mine = o.findings.filter((f) => f.rule === id);
          assert.ok(mine.length > 0, `${id} does not fire; the findings are:\n${listing(o)}`);
          const here = mine.filter((f) => f.place.side === place.side && f.place.uri === place.uri && f.place.start === place.start && f.place.end === place.end);
          const shown = o.texts.get(place.uri)!.slice(place.start, place.end);
          assert.ok(here.length > 0, `${id} fires, but not at ${place.side} ${JSON.stringify(shown)} ${place.start}-${place.end}; the findings are:\n${listing(o)}`);
          if (exp.count === 'any') assert.equal(here.length, mine.length, `every ${id} finding at the marked place:\n${listing(o)}`);
          else assert.equal(mine.length, exp.count ?? 1, `${exp.count ?? 1} finding(s) of ${id} expected; the findings are:\n${listing(o)}`);
          const directions = SUPPRESSION_RULES.has(id) || RULES[id].category === 'hygiene' ? [] : exp.directions ?? RULES[id].directions;
          const union = BOTH.filter((d) => here.some((f) => f.directions.includes(d)));
          assert.deepEqual(union, [...directions], `directions of ${id}:\n${listing(o)}`);
          for (const f of here) {
            assert.equal(f.severity, exp.severity ?? RULES[id].severity, `severity:\n  ${describeFinding(f, o.texts)}`);
            assert.deepEqual(f.machines, exp.machines, `machine types:\n  ${describeFinding(f, o.texts)}`);
            assert.ok(f.subject.length > 0, 'a subject for acknowledgements');
            assert.ok(f.message.length > 0);
          }
        });
      } else {
        it(`${c.name}.vmsd: ${id} does not fire (near miss)`, () => {
          const o = run(c);
          assert.deepEqual(
            o.findings.filter((f) => f.rule === id).map((f) => describeFinding(f, o.texts)),
            [],
            `${id} fires on the near miss; the findings are:\n${listing(o)}`,
          );
          if (SUPPRESSION_RULES.has(id)) assert.ok(o.suppressedCount > 0, 'the near miss suppresses a finding');
        });
      }
    }
  });
}

describe('compat rules: across the fixtures', () => {
  const all = folders.filter(isRuleId).flatMap((id) => casesOf(id));

  it('every finding breaks only directions its rule lists in RULES (none for hygiene)', () => {
    const bad: string[] = [];
    for (const c of all) {
      const o = run(c);
      for (const f of o.findings) {
        const allowed: readonly Direction[] = RULES[f.rule].directions;
        if (f.directions.some((d) => !allowed.includes(d))) bad.push(`${c.rule}/${c.name}: ${describeFinding(f, o.texts)}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('every finding has its severity from RULES or a lower one', () => {
    const bad: string[] = [];
    for (const c of all) {
      const o = run(c);
      for (const f of o.findings) if (severityRank[f.severity] > severityRank[RULES[f.rule].severity]) bad.push(`${c.rule}/${c.name}: ${describeFinding(f, o.texts)}`);
    }
    assert.deepEqual(bad, []);
  });

  it('every finding in the new workspace points into the new file, and every place is inside its text', () => {
    for (const c of all) {
      const o = run(c);
      for (const f of o.findings) {
        const text = o.texts.get(f.place.uri);
        assert.ok(text !== undefined, `${c.rule}/${c.name}: unknown file ${f.place.uri}`);
        assert.ok(0 <= f.place.start && f.place.start <= f.place.end && f.place.end <= text.length, `${c.rule}/${c.name}: ${describeFinding(f, o.texts)}`);
        if (f.place.side === 'current' && !SUPPRESSION_RULES.has(f.rule)) assert.equal(f.place.uri, c.now.uri);
        if (f.place.side === 'baseline') assert.equal(f.place.uri, c.old.uri);
      }
    }
  });

  it('the same files compared with themselves give no findings', () => {
    for (const c of all) {
      for (const side of [c.old, c.now]) {
        const a = analysisOf(side);
        const r = compareWorkspaces({ baseline: { analysis: a, label: 'old' }, current: { analysis: analysisOf(side), label: 'new' } });
        assert.deepEqual(r.findings.map((f) => `${f.rule} ${f.message}`), [], `${c.rule}/${c.name}: ${side.uri}`);
        assert.ok(r.matrix.every((cell) => cell.verdict === 'ok'), `${side.uri}: every cell ok`);
      }
    }
  });
});

describe('compat rules: what only the baseline has, with a corresponding new file', () => {
  // The CLI passes toCurrent: a removed description or machine type is then shown at the
  // start of the new file that replaced the baseline's file.
  for (const id of ['VS001', 'VS043'] as const) {
    it(`${id} is reported at the start of the new file`, () => {
      const c = casesOf(id).find((x) => x.name === 'new')!;
      const o = run(c, { toCurrent: true });
      const f = o.findings.filter((x) => x.rule === id);
      assert.equal(f.length, 1, listing(o));
      assert.deepEqual(f[0].place, { side: 'current', uri: c.now.uri, start: 0, end: 0 });
      assert.equal(f[0].related[0]?.side, 'baseline');
      assert.deepEqual({ start: f[0].related[0].start, end: f[0].related[0].end }, c.old.ranges[0]);
    });
  }
});
