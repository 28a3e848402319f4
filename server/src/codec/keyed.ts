import { findMachine, machineProperties } from './machine';
import { Stream, StreamOptions, StreamSection } from './stream';
import { valueFromJson } from './values';

/**
 * Reading a self-describing stream with descriptions of another version (language.md
 * §3.22, docs/cf-format.md): each device section whose description is known by name is
 * re-read by that description at its current version. Fields it does not know are
 * skipped, fields the stream lacks take their defaults (a field's `default`, else zero),
 * `alias` names are accepted; every such step is a note. A value the description cannot
 * hold (a wrong type, a wrong element count) is a ValueError naming the path.
 *
 * Sections that need nothing are left exactly as read, so a stream that matches its
 * descriptions still writes back byte for byte.
 */
export interface ConformNote {
  /** The section (idstr) and the field or subsection path. */
  section: string;
  path: string;
  kind: 'skipped' | 'defaulted' | 'version';
  message: string;
}

export interface Conformed {
  stream: Stream;
  notes: ConformNote[];
  /** Whether any section changed: the vmdesc no longer describes the stream then. */
  changed: boolean;
}

export function conformStream(s: Stream, opts: StreamOptions): Conformed {
  const notes: ConformNote[] = [];
  const machine = findMachine(opts.analysis, opts.machine ?? s.compatOf ?? s.machine ?? '');
  const properties = opts.properties ?? (machine ? machineProperties(machine) : undefined);
  let changed = false;
  const replaced = new Map<StreamSection, StreamSection>();
  for (const x of s.sections) {
    if (!x.value || x.idstr === undefined || x.ramRecords) continue;
    const body = opts.descriptions.get(x.idstr.slice(x.idstr.lastIndexOf('/') + 1));
    if (!body) continue;
    const built = valueFromJson(x.value, body, body.version, { analysis: opts.analysis, properties, machine: machine?.name, keyed: true });
    const own: ConformNote[] = [];
    for (const p of built.skipped) own.push({ section: x.idstr, path: p, kind: 'skipped', message: `\`${p}\` is not in the description \`${body.owner.name}\` at version ${body.version}: skipped` });
    for (const p of built.defaulted) own.push({ section: x.idstr, path: p, kind: 'defaulted', message: `\`${p}\` is not in the stream: it takes its default` });
    if (x.version !== body.version) own.push({ section: x.idstr, path: body.wireName, kind: 'version', message: `written at version ${x.version}, read as version ${body.version}` });
    // A vmdesc-named value that the description reads unchanged is still a change of schema.
    if (!own.length && !x.byVmdesc) continue;
    notes.push(...own);
    changed ||= own.length > 0;
    replaced.set(x, { ...x, version: body.version, value: built.value, byVmdesc: false, annotations: undefined, codec: built.codec, start: -1, end: -1 });
  }
  if (!replaced.size) return { stream: s, notes, changed };
  const sections = s.sections.map((x) => replaced.get(x) ?? x);
  const records = s.records.map((r) => (r.kind === 'section' && replaced.has(r.section) ? { kind: 'section' as const, section: replaced.get(r.section)! } : r));
  // The vmdesc read describes the writer's layout: written anew from the sections (a
  // stream that had none, from machine types before 2.3, keeps having none).
  return { stream: { ...s, sections, records, ...(changed ? { rewriteVmdesc: true } : {}) }, notes, changed };
}
