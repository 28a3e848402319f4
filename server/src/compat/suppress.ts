import { LineIndex } from '../util/lines';
import { Finding } from './findings';
import { isRuleId, RULES, RuleId } from './rules';

/**
 * Approved breaks, two ways (docs/compatibility.md, "Suppressions"):
 *   - inline, `// vmsd-ignore VS010, VS020: reason` on the finding's line or the line
 *     before it, in the new file;
 *   - an acknowledged-breaks file reviewed with the change, one `VSnnn subject: reason`
 *     per line (`#` comments; `*` in a subject matches any text).
 * A missing reason is a finding of its own (VS080); so is a suppression that matches
 * nothing (VS081, VS082), so that stale approvals do not pile up.
 */
export interface Suppressed {
  finding: Finding;
  kind: 'inSource' | 'external';
  justification: string;
}

export interface SuppressionResult {
  kept: Finding[];
  suppressed: Suppressed[];
  /** VS080–VS082 hygiene findings about the suppressions themselves. */
  own: Finding[];
}

interface Inline {
  uri: string;
  line: number;
  start: number;
  end: number;
  rules: RuleId[];
  reason: string;
  used: boolean;
}

export interface Acknowledgement {
  rule: RuleId;
  subject: string;
  reason: string;
  /** 1-based line in the file, for messages. */
  line: number;
  used: boolean;
}

const INLINE = /\/\/\s*vmsd-ignore\b[ \t]*([^\n:]*?)[ \t]*(?::[ \t]*([^\n]*))?$/gm;

function inlineSuppressions(uri: string, text: string): Inline[] {
  const out: Inline[] = [];
  if (!text.includes('vmsd-ignore')) return out;
  const lines = new LineIndex(text);
  for (const m of text.matchAll(INLINE)) {
    const rules = m[1].split(/[\s,]+/).filter((x) => x && isRuleId(x)) as RuleId[];
    const start = m.index!;
    out.push({ uri, line: lines.position(start).line, start, end: start + m[0].length, rules, reason: (m[2] ?? '').trim(), used: false });
  }
  return out;
}

/** Parse an acknowledged-breaks file; lines that are not `VSnnn subject: reason` are reported. */
export function parseAcknowledgements(text: string): { entries: Acknowledgement[]; errors: Array<{ line: number; message: string }> } {
  const entries: Acknowledgement[] = [];
  const errors: Array<{ line: number; message: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(VS\d{3})\s+(\S(?:.*?\S)?)(?::\s+(.*))?$/.exec(line) ?? /^(VS\d{3})\s+(\S+?):?$/.exec(line);
    if (!m) return errors.push({ line: i + 1, message: 'expected `VSnnn subject: reason`' });
    if (!isRuleId(m[1])) return errors.push({ line: i + 1, message: `unknown rule ${m[1]}` });
    entries.push({ rule: m[1], subject: m[2].replace(/:$/, ''), reason: (m[3] ?? '').trim(), line: i + 1, used: false });
  });
  return { entries, errors };
}

function subjectMatches(pattern: string, subject: string): boolean {
  if (!pattern.includes('*')) return pattern === subject;
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(subject);
}

/**
 * Apply inline suppressions (from the new files' texts) and acknowledgements to the
 * findings of one or more comparisons. `ackFile` names the acknowledgements' file (a URI)
 * for the findings about them.
 */
export function applySuppressions(
  findings: Finding[],
  texts: (uri: string) => string | undefined,
  acks: Acknowledgement[] = [],
  ackFile?: string,
  /** Files whose `vmsd-ignore` comments are checked even where nothing was found (VS080, VS081). */
  scan: readonly string[] = [],
): SuppressionResult {
  const inlineByUri = new Map<string, Inline[]>();
  const inlineFor = (uri: string): Inline[] => {
    let list = inlineByUri.get(uri);
    if (!list) inlineByUri.set(uri, (list = inlineSuppressions(uri, texts(uri) ?? '')));
    return list;
  };
  const lineIndexes = new Map<string, LineIndex>();
  const lineOf = (uri: string, offset: number) => {
    let li = lineIndexes.get(uri);
    if (!li) lineIndexes.set(uri, (li = new LineIndex(texts(uri) ?? '')));
    return li.position(offset).line;
  };
  const kept: Finding[] = [];
  const suppressed: Suppressed[] = [];
  for (const f of findings) {
    let by: Suppressed | undefined;
    if (f.place.side === 'current') {
      const line = lineOf(f.place.uri, f.place.start);
      const s = inlineFor(f.place.uri).find((x) => (x.line === line || x.line === line - 1) && x.rules.includes(f.rule));
      if (s) {
        s.used = true;
        by = { finding: f, kind: 'inSource', justification: s.reason };
      }
    }
    if (!by) {
      const a = acks.find((x) => x.rule === f.rule && subjectMatches(x.subject, f.subject));
      if (a) {
        a.used = true;
        by = { finding: f, kind: 'external', justification: a.reason };
      }
    }
    if (by) suppressed.push(by);
    else kept.push(f);
  }
  for (const uri of scan) inlineFor(uri);
  const own: Finding[] = [];
  const hygiene = (rule: 'VS080' | 'VS081' | 'VS082', message: string, uri: string, start: number, end: number, subject: string) =>
    own.push({ rule, severity: RULES[rule].severity, message, place: { side: 'current', uri, start, end }, related: [], directions: [], subject, baseline: '' });
  for (const list of inlineByUri.values()) {
    for (const s of list) {
      if (!s.rules.length) hygiene('VS081', '`vmsd-ignore` names no compatibility rule (VSnnn)', s.uri, s.start, s.end, 'vmsd-ignore');
      else if (!s.reason) hygiene('VS080', `\`vmsd-ignore ${s.rules.join(', ')}\` gives no reason: write \`: why this break is acceptable\``, s.uri, s.start, s.end, 'vmsd-ignore');
      if (s.rules.length && !s.used) hygiene('VS081', `\`vmsd-ignore ${s.rules.join(', ')}\` matches no finding here: remove it`, s.uri, s.start, s.end, 'vmsd-ignore');
    }
  }
  if (ackFile) {
    const text = texts(ackFile) ?? '';
    const li = new LineIndex(text);
    for (const a of acks) {
      const start = li.lineStart(a.line - 1);
      // The line without its line break.
      const end = start + (/^[^\r\n]*/.exec(text.slice(start))?.[0].length ?? 0);
      if (!a.reason) hygiene('VS080', `the acknowledgement of ${a.rule} ${a.subject} gives no reason`, ackFile, start, end, `${a.rule} ${a.subject}`);
      if (!a.used) hygiene('VS082', `the acknowledgement of ${a.rule} ${a.subject} matches no finding: remove it`, ackFile, start, end, `${a.rule} ${a.subject}`);
    }
  }
  return { kept, suppressed, own };
}
