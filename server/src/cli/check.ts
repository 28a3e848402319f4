import * as path from 'node:path';
import { compareDiagnostics, Diagnostic, severityRank } from '../diagnostics/diagnostic';
import { runRuleSets } from '../checks/pipeline';
import { loadWorkspace, toPath } from '../host/files';
import { BodyModel } from '../semantic/model';
import { formatSize } from '../semantic/size';
import { LineIndex } from '../util/lines';
import type { Io } from './main';

export interface CheckOptions {
  format: 'text' | 'json';
  failOn: 'error' | 'warning';
  summary?: boolean;
}

export function runCheck(paths: string[], opts: CheckOptions, io: Io): number {
  const loaded = loadWorkspace(paths);
  for (const p of loaded.problems) io.err(`vmsd: ${p.path}: ${p.message}\n`);
  if (loaded.problems.length && loaded.roots.length === 0) return 2;
  const analysis = loaded.workspace.analysis();

  const rootSet = new Set(loaded.roots);
  // Report for the named files and for the files they include (a broken include breaks them).
  const uris = loaded.workspace.uris().filter((uri) => rootSet.has(uri) || (analysis.diagnostics.get(uri) ?? []).some((d) => d.severity === 'error'));
  const diags: Diagnostic[] = runRuleSets(analysis, uris);
  for (const uri of uris) diags.push(...(loaded.extraDiagnostics.get(uri) ?? []));
  diags.sort(compareDiagnostics);

  const lines = new Map<string, LineIndex>();
  const pos = (uri: string, offset: number) => {
    let li = lines.get(uri);
    if (!li) lines.set(uri, (li = new LineIndex(loaded.workspace.text(uri) ?? '')));
    const p = li.position(offset);
    return { line: p.line + 1, column: p.character + 1 };
  };
  const display = (uri: string) => path.relative(process.cwd(), toPath(uri)) || toPath(uri);

  const count = (s: string) => diags.filter((d) => d.severity === s).length;
  const errors = count('error');
  const warnings = count('warning');
  const threshold = severityRank[opts.failOn];
  const failed = diags.some((d) => severityRank[d.severity] >= threshold) || loaded.problems.length > 0;

  if (opts.format === 'json') {
    const out = {
      files: loaded.roots.map(display),
      diagnostics: diags.map((d) => {
        const s = pos(d.uri!, d.start);
        const e = pos(d.uri!, d.end);
        return {
          file: display(d.uri!), line: s.line, column: s.column, endLine: e.line, endColumn: e.column,
          severity: d.severity, code: d.code, message: d.message,
          related: (d.related ?? []).map((r) => ({ file: display(r.uri || d.uri!), ...pos(r.uri || d.uri!, r.start), message: r.message })),
        };
      }),
      summary: { files: loaded.roots.length, errors, warnings, infos: count('info'), hints: count('hint') },
    };
    io.out(JSON.stringify(out, null, 2) + '\n');
    return failed ? 1 : 0;
  }

  // Written in chunks: one write per line costs more than the check on large outputs.
  let chunk = '';
  for (const d of diags) {
    if (d.severity === 'hint') continue; // hints are for editors (faded code), not for CI logs
    const s = pos(d.uri!, d.start);
    chunk += `${display(d.uri!)}:${s.line}:${s.column}: ${d.severity} ${d.code} ${d.message}\n`;
    for (const r of d.related ?? []) {
      const ru = r.uri || d.uri!;
      const rp = pos(ru, r.start);
      chunk += `  ${display(ru)}:${rp.line}:${rp.column}: note: ${r.message}\n`;
    }
    if (chunk.length > 65536) {
      io.out(chunk);
      chunk = '';
    }
  }
  if (chunk) io.out(chunk);

  if (opts.summary) {
    const rows: string[][] = [['description', 'wire name', 'version', 'min', 'fields', 'subsections', 'wire size (fields)']];
    const inRoots = (uri: string) => rootSet.has(uri);
    const countSubs = (b: BodyModel): number => b.subsections.reduce((n, s) => n + 1 + countSubs(s.body), 0);
    for (const d of analysis.descriptions.filter((x) => inRoots(x.uri)).sort((a, b) => a.name.localeCompare(b.name))) {
      const b = d.body;
      rows.push([d.name, b.wireName, String(b.version), String(b.minimumVersion), String(b.fields.length), String(countSubs(b)), b.fieldsSize ? formatSize(b.fieldsSize, { conditional: false }) + (b.fieldsSize.conditional.length ? ` (+ ${b.fieldsSize.conditional.length} conditional)` : '') : '?']);
    }
    io.out(table(rows) + '\n');
    const devices = analysis.devices.filter((x) => inRoots(x.uri));
    const machines = analysis.machines.filter((x) => inRoots(x.uri));
    io.out(`${devices.length} devices: ${devices.map((d) => d.name).join(', ')}\n`);
    io.out(`${machines.length} machine types: ${machines.map((m) => m.name).join(', ')}\n\n`);
  }

  const descriptions = analysis.descriptions.filter((d) => rootSet.has(d.uri)).length;
  io.out(
    `Checked ${loaded.roots.length} file${loaded.roots.length === 1 ? '' : 's'} (${descriptions} descriptions): ` +
      `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`,
  );
  return failed ? 1 : 0;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
