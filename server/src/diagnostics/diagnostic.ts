/**
 * The one diagnostic shape of the core. Offsets are UTF-16 code units into the file
 * text; only the protocol layers turn them into line/character.
 */
export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Related {
  uri: string;
  start: number;
  end: number;
  message: string;
}

export interface Diagnostic {
  /** Stable code, documented in docs/diagnostics.md (VLnnn: language, VSnnn: compatibility). */
  code: string;
  severity: Severity;
  message: string;
  start: number;
  end: number;
  /** Set once the diagnostic is attached to a file of a workspace. */
  uri?: string;
  related?: Related[];
  tags?: Array<'unnecessary' | 'deprecated'>;
  /** Machine-readable facts for quick fixes (e.g. the suggested name). */
  data?: DiagnosticData;
}

export interface DiagnosticData {
  /** Replacement candidates, best first ("did you mean"). */
  suggestions?: string[];
  [key: string]: unknown;
}

export const severityRank: Record<Severity, number> = { error: 3, warning: 2, info: 1, hint: 0 };

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (a.uri ?? '').localeCompare(b.uri ?? '') || a.start - b.start || a.end - b.end || a.code.localeCompare(b.code);
}
