/**
 * The output of `vmsd check PATH --baseline REF --format json` (server/src/cli/check.ts),
 * as the extension reads it. No `vscode` here: tests import it.
 */
import type { CheckJson, CheckJsonEntry } from '../../../server/src/cli/check';

// The CLI's own types: the two sides cannot drift apart.
export type Severity = CheckJsonEntry['severity'];
export type CheckEntry = CheckJsonEntry;
export type CheckOutput = CheckJson;
export type CompatRunJson = NonNullable<CheckJson['compatibility']>[number];
export type MatrixCellJson = CompatRunJson['matrix'][number];

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
