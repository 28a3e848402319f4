/**
 * The output of `vmsd check PATH --baseline REF --format json` (server/src/cli/check.ts),
 * as the extension reads it. No `vscode` here: tests import it.
 */
export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface CheckEntry {
  /** Relative to the folder the CLI ran in; a baseline's file may be `git:REV:PATH`. */
  file: string;
  /** 1-based, columns in UTF-16 code units. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
  related: Array<{ file: string; line: number; column: number; message: string }>;
  /** Only compatibility findings have directions (empty for hygiene findings). */
  directions?: string[];
  machines?: string[];
  baseline?: string;
  subject?: string;
}

export interface MatrixCellJson {
  description: string;
  machine: string;
  direction: string;
  verdict: 'ok' | 'warning' | 'error';
  reasons: string[];
}

export interface CompatRunJson {
  baseline: string;
  machines: string[];
  matrix: MatrixCellJson[];
}

export interface CheckOutput {
  files: string[];
  diagnostics: CheckEntry[];
  compatibility?: CompatRunJson[];
  suppressed?: Array<{ code: string; subject: string; kind: string; justification?: string }>;
  summary: { files: number; errors: number; warnings: number; infos: number; hints: number; suppressed?: number };
}

/**
 * Reads the CLI's stdout; throws an Error saying what is wrong when it is not the JSON
 * `check --format json` prints (a CLI of another version, a crash that printed text).
 */
export function parseCheckOutput(stdout: string): CheckOutput {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    const first = stdout.trim().split('\n')[0] ?? '';
    throw new Error(`vmsd check did not print JSON${first ? `: ${first.slice(0, 200)}` : ' (no output)'}`);
  }
  const o = json as Partial<CheckOutput> | null;
  if (!o || typeof o !== 'object' || !Array.isArray(o.diagnostics) || !o.summary || typeof o.summary !== 'object') {
    throw new Error('vmsd check printed JSON without `diagnostics` and `summary`');
  }
  for (const d of o.diagnostics) {
    if (!d || typeof d.file !== 'string' || typeof d.line !== 'number' || typeof d.column !== 'number' || typeof d.message !== 'string') {
      throw new Error(`vmsd check printed a diagnostic without file, line, column or message: ${JSON.stringify(d).slice(0, 200)}`);
    }
  }
  if (o.compatibility !== undefined && !Array.isArray(o.compatibility)) throw new Error('vmsd check printed `compatibility` that is not a list');
  return { files: o.files ?? [], diagnostics: o.diagnostics, compatibility: o.compatibility, suppressed: o.suppressed, summary: o.summary };
}

/** A compatibility finding (VSnnn), as opposed to the language diagnostics the server already shows. */
export function isCompatFinding(e: CheckEntry): boolean {
  return Array.isArray(e.directions);
}
