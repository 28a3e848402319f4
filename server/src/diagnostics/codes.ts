import { Severity } from './diagnostic';

/**
 * Every language diagnostic code, its default severity and a short title. The codes are
 * stable: docs/diagnostics.md documents each one (a test keeps the two in step), and
 * compatibility rules (VSnnn, a later rule set) slot in beside them.
 */
export interface CodeInfo {
  severity: Severity;
  title: string;
}

export const CODES = {
  // lexical and syntax
  VL001: { severity: 'error', title: 'unexpected character' },
  VL002: { severity: 'error', title: 'invalid UTF-8' },
  VL003: { severity: 'error', title: 'unterminated string' },
  VL004: { severity: 'error', title: 'unterminated block comment' },
  VL005: { severity: 'error', title: 'invalid number' },
  VL006: { severity: 'error', title: 'invalid escape in string' },
  VL010: { severity: 'error', title: 'syntax error' },
  VL011: { severity: 'error', title: 'unclosed body' },
  VL012: { severity: 'error', title: 'nesting too deep' },
  // names and files
  VL100: { severity: 'error', title: 'unknown name' },
  VL101: { severity: 'error', title: 'duplicate declaration' },
  VL102: { severity: 'error', title: 'duplicate wire name' },
  VL103: { severity: 'error', title: 'duplicate subsection' },
  VL104: { severity: 'error', title: 'duplicate field name' },
  VL105: { severity: 'error', title: 'include not found' },
  VL106: { severity: 'error', title: 'include cycle' },
  VL107: { severity: 'error', title: 'declared in a file that is not included' },
  VL108: { severity: 'error', title: 'ambiguous name' },
  VL109: { severity: 'error', title: 'unknown property' },
  VL110: { severity: 'error', title: 'field used before it is sent' },
  VL111: { severity: 'warning', title: 'unknown attribute' },
  VL112: { severity: 'error', title: 'wrong kind of name' },
  VL113: { severity: 'error', title: '`version` not available here' },
  // types and expressions
  VL200: { severity: 'error', title: 'type mismatch' },
  VL201: { severity: 'error', title: 'invalid array size' },
  VL202: { severity: 'error', title: 'invalid array count field' },
  VL203: { severity: 'error', title: 'value out of range' },
  VL204: { severity: 'error', title: 'check not supported for this type' },
  VL205: { severity: 'error', title: 'not a constant' },
  VL206: { severity: 'error', title: 'invalid type form' },
  VL207: { severity: 'error', title: 'constant evaluation failed' },
  VL208: { severity: 'error', title: 'invalid attribute arguments' },
  // versions and wire layout
  VL300: { severity: 'error', title: '`since` above the description version' },
  VL301: { severity: 'error', title: '`minimum_version` above `version`' },
  VL302: { severity: 'hint', title: '`since` ignored because of `if`' },
  VL303: { severity: 'warning', title: 'subsection version above 255' },
  VL304: { severity: 'error', title: 'subsection name not prefixed by its parent' },
  VL305: { severity: 'error', title: 'recursive struct' },
  VL306: { severity: 'error', title: 'repeated statement' },
  VL307: { severity: 'warning', title: '`needed` on a description that is only embedded' },
  VL308: { severity: 'error', title: 'struct version out of range' },
  VL309: { severity: 'warning', title: 'empty array' },
  VL310: { severity: 'error', title: 'statement not allowed here' },
  VL311: { severity: 'warning', title: 'count field missing in older versions' },
  VL312: { severity: 'warning', title: 'subsection taken for a subsection of an earlier sibling' },
  // devices and machine types
  VL400: { severity: 'error', title: 'inheritance cycle' },
  VL401: { severity: 'warning', title: 'repeated compat entry' },
  // hygiene
  VL500: { severity: 'warning', title: 'unused declaration' },
  VL501: { severity: 'warning', title: 'use of a deprecated declaration' },
  VL502: { severity: 'hint', title: 'unused include' },
} satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;
