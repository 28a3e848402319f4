import { Severity } from '../diagnostics/diagnostic';

/**
 * The compatibility rule catalog (docs/compatibility.md documents each rule; a test keeps
 * the two in step). IDs are stable and leave gaps so that groups can grow.
 *
 * Directions are spelled out, never "forward"/"backward" (QEMU and Avro use those words
 * the opposite way round):
 *   - old→new: a new destination loads the stream of an old source (upgrade);
 *   - new→old: an old destination loads the stream of a new source (rollback).
 * "old" is the baseline, "new" is the descriptions being checked.
 */
export type Direction = 'old→new' | 'new→old';
export const DIRECTIONS: readonly Direction[] = ['old→new', 'new→old'];

export type Category = 'stream' | 'machine' | 'keyed' | 'hygiene';
export const CATEGORIES: readonly Category[] = ['stream', 'machine', 'keyed', 'hygiene'];

export interface RuleInfo {
  name: string;
  category: Category;
  severity: Severity;
  /** The directions the rule can break (empty for hygiene rules that break none). */
  directions: readonly Direction[];
  /** One line: what the rule protects against. */
  summary: string;
}

const B: readonly Direction[] = DIRECTIONS;
const ON: readonly Direction[] = ['old→new'];
const NO: readonly Direction[] = ['new→old'];

export const RULES = {
  // descriptions and versions (the positional QEMU stream)
  VS001: { name: 'description-removed', category: 'stream', severity: 'error', directions: ON, summary: 'an old source sends a section the new destination does not know' },
  VS002: { name: 'wire-name-changed', category: 'stream', severity: 'error', directions: B, summary: 'the section (or subsection) wire name changed: neither side finds the other\'s' },
  VS004: { name: 'version-raised', category: 'stream', severity: 'error', directions: NO, summary: 'the new source sends a version the old destination calls too new' },
  VS005: { name: 'minimum-version-raised', category: 'stream', severity: 'error', directions: ON, summary: 'the new destination calls the old source\'s version too old' },
  VS006: { name: 'version-lowered', category: 'stream', severity: 'error', directions: B, summary: 'the version went down: the old source\'s is too new for the new destination, or the new one too old for the old destination' },
  // fields (the positional stream: order and size are everything, names are free)
  VS010: { name: 'field-removed', category: 'stream', severity: 'error', directions: B, summary: 'a field is gone: every later field shifts' },
  VS011: { name: 'field-added', category: 'stream', severity: 'error', directions: B, summary: 'a field is read or written where the other side has none' },
  VS012: { name: 'field-reordered', category: 'stream', severity: 'error', directions: B, summary: 'fields changed order' },
  VS013: { name: 'field-size-changed', category: 'stream', severity: 'error', directions: B, summary: 'a field takes a different number of bytes' },
  VS014: { name: 'field-kind-changed', category: 'stream', severity: 'warning', directions: B, summary: 'same size, different meaning (signedness, enum, bool)' },
  VS015: { name: 'array-length-changed', category: 'stream', severity: 'error', directions: B, summary: 'a fixed array has a different element count' },
  VS016: { name: 'count-source-changed', category: 'stream', severity: 'error', directions: B, summary: 'a variable array takes its count from another field, property or factor' },
  VS017: { name: 'field-condition-changed', category: 'stream', severity: 'error', directions: B, summary: 'one side sends a field the other does not expect, or expects one that is not sent' },
  VS020: { name: 'unused-changed', category: 'stream', severity: 'error', directions: B, summary: 'an `unused` placeholder was resized or removed' },
  // subsections
  VS030: { name: 'subsection-added-ungated', category: 'stream', severity: 'error', directions: NO, summary: 'the new source sends a subsection the old destination does not know, and no property gates it' },
  VS031: { name: 'subsection-removed', category: 'stream', severity: 'error', directions: ON, summary: 'the old source sends a subsection the new destination does not know' },
  VS032: { name: 'subsection-renamed', category: 'stream', severity: 'error', directions: B, summary: 'subsections are matched by name' },
  // machine types and compat properties
  VS040: { name: 'gate-without-compat-entry', category: 'machine', severity: 'error', directions: NO, summary: 'a property gates a new subsection but an older machine type does not turn it off' },
  VS041: { name: 'property-value-changed', category: 'machine', severity: 'error', directions: B, summary: 'a machine type gives a wire-affecting property another value than before' },
  VS042: { name: 'compat-entry-changed', category: 'machine', severity: 'warning', directions: B, summary: 'a compat entry of a machine type known to both sides was removed or changed' },
  VS043: { name: 'machine-type-removed', category: 'machine', severity: 'warning', directions: B, summary: 'a machine type is gone: VMs started with it cannot migrate to the new side' },
  // value semantics
  VS050: { name: 'enum-member-removed', category: 'stream', severity: 'error', directions: ON, summary: 'an old stream may carry an enum value the new side does not define' },
  VS051: { name: 'enum-member-added', category: 'stream', severity: 'warning', directions: NO, summary: 'a new source may send an enum value the old side does not define' },
  VS052: { name: 'enum-member-renumbered', category: 'stream', severity: 'error', directions: B, summary: 'an enum member has another value: the same bytes mean something else' },
  VS053: { name: 'default-changed', category: 'stream', severity: 'warning', directions: ON, summary: 'a field the old stream lacks takes another value on load' },
  VS054: { name: 'load-check-added', category: 'stream', severity: 'warning', directions: ON, summary: 'the new destination checks a value on load (`equal`, `le`) that the old one did not' },
  // the keyed self-describing stream (names are everything, order is free)
  VS060: { name: 'keyed-renamed-without-alias', category: 'keyed', severity: 'error', directions: B, summary: 'a renamed field loses its value in the keyed stream' },
  VS061: { name: 'keyed-name-reused', category: 'keyed', severity: 'error', directions: B, summary: 'a reserved (retired) name is used again' },
  VS062: { name: 'keyed-removed-not-reserved', category: 'keyed', severity: 'warning', directions: NO, summary: 'a removed field\'s name is not reserved, and the old destination loads its default' },
  VS063: { name: 'keyed-added-without-default', category: 'keyed', severity: 'warning', directions: ON, summary: 'a new field an old keyed stream lacks loads as zero' },
  VS064: { name: 'keyed-type-narrowed', category: 'keyed', severity: 'error', directions: ON, summary: 'values the old side could send do not fit the new type' },
  VS065: { name: 'keyed-type-widened', category: 'keyed', severity: 'warning', directions: NO, summary: 'values the new side can send may not fit the old type' },
  // hygiene
  VS070: { name: 'removed-without-deprecation', category: 'hygiene', severity: 'warning', directions: [], summary: 'an element was removed without first being marked @deprecated' },
  VS080: { name: 'suppression-without-reason', category: 'hygiene', severity: 'warning', directions: [], summary: 'a `vmsd-ignore` or acknowledgement gives no reason' },
  VS081: { name: 'unused-suppression', category: 'hygiene', severity: 'info', directions: [], summary: 'a `vmsd-ignore` comment matches no finding' },
  VS082: { name: 'stale-acknowledgement', category: 'hygiene', severity: 'info', directions: [], summary: 'an acknowledged break matches no finding' },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;

export function isRuleId(s: string): s is RuleId {
  return Object.prototype.hasOwnProperty.call(RULES, s);
}

/** The rule documentation anchor in docs/compatibility.md (SARIF helpUri, LSP codeDescription). */
export function ruleAnchor(id: RuleId): string {
  return `${id.toLowerCase()}-${RULES[id].name}`;
}
