import * as path from 'node:path';
import { CheckEntry, CheckOutput, isCompatFinding, Severity } from './check-output';

/**
 * The compatibility findings of `vmsd check --baseline --format json` as plain diagnostics,
 * grouped by file, ready to become `vscode.Diagnostic`s (compat/check-command.ts does
 * that). Positions become 0-based; files become absolute paths, or a file of a git
 * revision (`git:REV:PATH`, for what only the baseline has) that the extension shows
 * through `git show`. No `vscode` here: tests import it.
 */
export type FileRef = { kind: 'file'; path: string } | { kind: 'git'; rev: string; path: string; cwd: string };

export interface PlainRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** Numbered as vscode.DiagnosticSeverity: Error 0, Warning 1, Information 2, Hint 3. */
export type PlainSeverity = 0 | 1 | 2 | 3;

export interface PlainDiagnostic {
  range: PlainRange;
  severity: PlainSeverity;
  code: string;
  message: string;
  source: string;
  related: Array<{ file: FileRef; range: PlainRange; message: string }>;
}

export interface FileDiagnostics {
  file: FileRef;
  diagnostics: PlainDiagnostic[];
}

const severities: Record<Severity, PlainSeverity> = { error: 0, warning: 1, info: 2, hint: 3 };

/**
 * Where a file the CLI printed is. The CLI ran in `folder` and prints paths relative to it;
 * files of a git baseline are `git:REV:PATH` (PATH relative to the repository's top).
 */
export function resolveFile(display: string, folder: string): FileRef {
  const git = /^git:([^:]+):(.+)$/.exec(display);
  if (git) return { kind: 'git', rev: git[1], path: git[2], cwd: folder };
  return { kind: 'file', path: path.resolve(folder, display) };
}

export function fileKey(f: FileRef): string {
  return f.kind === 'file' ? `file\u0000${f.path}` : `git\u0000${f.cwd}\u0000${f.rev}\u0000${f.path}`;
}

function rangeOf(line: number, column: number, endLine = line, endColumn = column): PlainRange {
  const at = (l: number, c: number) => ({ line: Math.max(0, l - 1), character: Math.max(0, c - 1) });
  return { start: at(line, column), end: at(endLine, endColumn) };
}

export function toPlainDiagnostic(e: CheckEntry, folder: string): PlainDiagnostic {
  return {
    range: rangeOf(e.line, e.column, e.endLine ?? e.line, e.endColumn ?? e.column),
    severity: severities[e.severity] ?? 0,
    code: e.code,
    message: e.message,
    source: e.baseline ? `vmsd compat (${e.baseline})` : 'vmsd compat',
    related: (e.related ?? []).map((r) => ({ file: resolveFile(r.file, folder), range: rangeOf(r.line, r.column), message: r.message })),
  };
}

/**
 * The compatibility findings only: the language diagnostics in the same output are what the
 * language server already shows. Files in the order of their first finding.
 */
export function compatDiagnostics(out: CheckOutput, folder: string, baseline?: string): FileDiagnostics[] {
  const byFile = new Map<string, FileDiagnostics>();
  for (const e of out.diagnostics) {
    if (!isCompatFinding(e)) continue;
    const file = resolveFile(e.file, folder);
    const key = fileKey(file);
    let group = byFile.get(key);
    if (!group) byFile.set(key, (group = { file, diagnostics: [] }));
    const d = toPlainDiagnostic(e, folder);
    if (!e.baseline && baseline) d.source = `vmsd compat (${baseline})`;
    group.diagnostics.push(d);
  }
  return [...byFile.values()];
}

/** Counts for the summary message: compatibility findings by severity. */
export function countFindings(out: CheckOutput): { errors: number; warnings: number; others: number } {
  const c = { errors: 0, warnings: 0, others: 0 };
  for (const e of out.diagnostics) {
    if (!isCompatFinding(e)) continue;
    if (e.severity === 'error') c.errors++;
    else if (e.severity === 'warning') c.warnings++;
    else c.others++;
  }
  return c;
}
