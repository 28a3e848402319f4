import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareDiagnostics, Diagnostic, Severity, severityRank } from '../diagnostics/diagnostic';
import { runRuleSets } from '../checks/pipeline';
import { compareWorkspaces } from '../compat/compare';
import { CompatResult, Finding, Place } from '../compat/findings';
import { toSarif } from '../compat/sarif';
import { Acknowledgement, applySuppressions, parseAcknowledgements, Suppressed } from '../compat/suppress';
import { Baseline, loadBaseline } from '../host/baselines';
import { loadWorkspace, toPath, toUri } from '../host/files';
import { Analysis } from '../semantic/analyzer';
import { Workspace } from '../semantic/workspace';
import { directionSuffix, findingText, matrixTable, table } from '../compat/report';
import { BodyModel } from '../semantic/model';
import { formatSize } from '../semantic/size';
import { LineIndex } from '../util/lines';
import { readVersion, type Io } from './main';

export interface CheckOptions {
  format: 'text' | 'json' | 'sarif';
  failOn: 'error' | 'warning';
  summary?: boolean;
  /** Baselines to check compatibility against (`git:REV`, a folder or file, a dump). */
  baseline?: string[];
  /** Print the verdict matrix (per description, machine type and direction). */
  matrix?: boolean;
  /** Acknowledged-breaks file (default: .vmsd-acknowledged in the current folder, if any). */
  acknowledged?: string;
}

/** What one output line or JSON entry says, whichever side of a comparison it is in. */
/** One diagnostic or finding of `--format json` (the extension reads it: client/src/compat/check-output.ts). */
export interface CheckJsonEntry {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
  related: Array<{ file: string; line: number; column: number; message: string }>;
  directions?: string[];
  machines?: string[];
  baseline?: string;
  subject?: string;
}

/** What `vmsd check --format json` prints. */
export interface CheckJson {
  files: string[];
  diagnostics: CheckJsonEntry[];
  /** With --baseline: per baseline, the machine types both sides know and the verdict matrix. */
  compatibility?: Array<Pick<CompatResult, 'baseline' | 'machines' | 'matrix'>>;
  suppressed?: Array<{ code: string; subject: string; kind: string; justification?: string }>;
  summary: { files: number; errors: number; warnings: number; infos: number; hints: number; suppressed?: number };
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

  const display = (uri: string) => path.relative(process.cwd(), toPath(uri)) || toPath(uri);
  const texts = new Map<string, string>();
  const lines = new Map<string, LineIndex>();
  const posIn = (key: string, text: () => string, offset: number) => {
    let li = lines.get(key);
    if (!li) lines.set(key, (li = new LineIndex(text())));
    const p = li.position(offset);
    return { line: p.line + 1, column: p.character + 1 };
  };
  const pos = (uri: string, offset: number) => posIn(uri, () => loaded.workspace.text(uri) ?? texts.get(uri) ?? '', offset);

  // ---- compatibility against the baselines ----
  const compat = opts.baseline?.length ? checkCompat(opts, paths, loaded.workspace, analysis, rootSet, texts, io) : undefined;
  if (compat === 'failed') return 2;
  const placeOf = (p: Place, baseline?: Baseline): { file: string; line: number; column: number; endLine: number; endColumn: number } => {
    if (p.side === 'baseline' && baseline) {
      const text = () => baseline.workspace.text(p.uri) ?? '';
      const s = posIn(`${baseline.label}\u0000${p.uri}`, text, p.start);
      const e = posIn(`${baseline.label}\u0000${p.uri}`, text, p.end);
      return { file: baseline.display(p.uri), line: s.line, column: s.column, endLine: e.line, endColumn: e.column };
    }
    const s = pos(p.uri, p.start);
    const e = pos(p.uri, p.end);
    return { file: display(p.uri), line: s.line, column: s.column, endLine: e.line, endColumn: e.column };
  };

  const entries: CheckJsonEntry[] = diags.map((d) => {
    const s = pos(d.uri!, d.start);
    const e = pos(d.uri!, d.end);
    return {
      file: display(d.uri!), line: s.line, column: s.column, endLine: e.line, endColumn: e.column,
      severity: d.severity, code: d.code, message: d.message,
      related: (d.related ?? []).map((r) => ({ file: display(r.uri || d.uri!), ...pos(r.uri || d.uri!, r.start), message: r.message })),
    };
  });
  const several = (compat?.runs.length ?? 0) > 1;
  for (const { finding: f, run } of compat?.kept ?? []) {
    entries.push({
      ...placeOf(f.place, run?.baseline),
      severity: f.severity, code: f.rule,
      message: run ? findingText(f, run.result, several) : f.message + directionSuffix(f.directions),
      related: f.related.map((r) => {
        const p = placeOf(r, run?.baseline);
        return { file: p.file, line: p.line, column: p.column, message: r.message };
      }),
      directions: f.directions, ...(f.machines ? { machines: f.machines } : {}), baseline: f.baseline || undefined, subject: f.subject,
    });
  }
  entries.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));

  const count = (s: string) => entries.filter((d) => d.severity === s).length;
  const errors = count('error');
  const warnings = count('warning');
  const threshold = severityRank[opts.failOn];
  const failed = entries.some((d) => severityRank[d.severity] >= threshold) || loaded.problems.length > 0;
  const suppressedCount = compat?.suppressed.length ?? 0;

  if (opts.format === 'sarif') {
    const keptSet = new Set(compat?.kept.map((k) => k.finding));
    const sarif = toSarif({
      toolVersion: readVersion(),
      diagnostics: diags,
      // The findings about suppressions themselves travel with the first baseline's.
      results: (compat?.runs ?? []).map((r, i) => ({ ...r.result, findings: [...r.result.findings.filter((f) => keptSet.has(f)), ...(i === 0 ? compat!.own : [])] })),
      suppressed: compat?.suppressed ?? [],
      locate: (p) => {
        const run = compat?.runs.find((r) => r.result.baseline === p.baseline);
        const at = placeOf(p, run?.baseline ?? compat?.runs[0]?.baseline);
        return { uri: at.file.split(path.sep).join('/'), startLine: at.line, startColumn: at.column, endLine: at.endLine, endColumn: at.endColumn };
      },
    });
    io.out(JSON.stringify(sarif, null, 2) + '\n');
    return failed ? 1 : 0;
  }

  if (opts.format === 'json') {
    const out: CheckJson = {
      files: loaded.roots.map(display),
      diagnostics: entries,
      ...(compat
        ? {
            compatibility: compat.runs.map((r) => ({ baseline: r.result.baseline, machines: r.result.machines, matrix: r.result.matrix })),
            suppressed: compat.suppressed.map((x) => ({ code: x.finding.rule, subject: x.finding.subject, kind: x.kind, justification: x.justification })),
          }
        : {}),
      summary: { files: loaded.roots.length, errors, warnings, infos: count('info'), hints: count('hint'), suppressed: suppressedCount },
    };
    io.out(JSON.stringify(out, null, 2) + '\n');
    return failed ? 1 : 0;
  }

  // Written in chunks: one write per line costs more than the check on large outputs.
  let chunk = '';
  for (const d of entries) {
    if (d.severity === 'hint') continue; // hints are for editors (faded code), not for CI logs
    chunk += `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}\n`;
    for (const r of d.related) chunk += `  ${r.file}:${r.line}:${r.column}: note: ${r.message}\n`;
    if (chunk.length > 65536) {
      io.out(chunk);
      chunk = '';
    }
  }
  if (chunk) io.out(chunk);

  if (opts.matrix && compat) {
    for (const r of compat.runs) io.out(`\nVerdicts against ${r.result.baseline} (${r.result.machines.length} machine type${r.result.machines.length === 1 ? '' : 's'} known to both sides):\n${matrixTable(r.result)}\n`);
  }

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
  const against = compat ? ` against ${compat.runs.map((r) => r.result.baseline).join(', ')}` : '';
  io.out(
    `Checked ${loaded.roots.length} file${loaded.roots.length === 1 ? '' : 's'} (${descriptions} descriptions)${against}: ` +
      `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}` +
      (suppressedCount ? `, ${suppressedCount} suppressed` : '') +
      '\n',
  );
  return failed ? 1 : 0;
}

interface CompatRun {
  baseline: Baseline;
  result: CompatResult;
}

interface CompatOutcome {
  runs: CompatRun[];
  kept: Array<{ finding: Finding; run?: CompatRun }>;
  suppressed: Suppressed[];
  /** VS08x findings about the suppressions themselves (also in kept). */
  own: Finding[];
}

/**
 * Compare the checked files with every baseline (each one on its own: "transitively"
 * means against every release still supported, not only the last), then apply inline
 * suppressions and the acknowledged-breaks file. Only findings in the checked files, or
 * about what the baseline alone has, are reported.
 */
function checkCompat(opts: CheckOptions, paths: string[], workspace: Workspace, analysis: Analysis, roots: ReadonlySet<string>, texts: Map<string, string>, io: Io): CompatOutcome | 'failed' {
  const runs: CompatRun[] = [];
  for (const spec of opts.baseline ?? []) {
    const baseline = loadBaseline(spec, { cwd: process.cwd(), paths });
    for (const p of baseline.problems) io.err(`vmsd: baseline ${p.path === spec ? '' : `${spec}: `}${p.path}: ${p.message}\n`);
    if (baseline.problems.length && baseline.workspace.uris().length === 0) return 'failed';
    const result = compareWorkspaces({
      baseline: { analysis: baseline.workspace.analysis(), label: baseline.label },
      current: { analysis, label: 'new' },
      toCurrent: (uri) => baseline.toCurrent(uri),
      baselineFromDump: baseline.kind === 'dump',
    });
    result.findings = result.findings.filter((f) => f.place.side === 'baseline' || roots.has(f.place.uri));
    runs.push({ baseline, result });
  }
  let acks: Acknowledgement[] = [];
  let ackUri: string | undefined;
  const ackFile = opts.acknowledged ?? (fs.existsSync(DEFAULT_ACK_FILE) ? DEFAULT_ACK_FILE : undefined);
  if (ackFile) {
    let text: string;
    try {
      text = fs.readFileSync(ackFile, 'utf8');
    } catch (e) {
      io.err(`vmsd: ${ackFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
      return 'failed';
    }
    const parsed = parseAcknowledgements(text);
    for (const e of parsed.errors) io.err(`vmsd: ${ackFile}:${e.line}: ${e.message}\n`);
    if (parsed.errors.length) return 'failed';
    acks = parsed.entries;
    ackUri = toUri(ackFile);
    texts.set(ackUri, text);
  }
  const runOf = new Map<Finding, CompatRun>();
  for (const r of runs) for (const f of r.result.findings) runOf.set(f, r);
  const all = runs.flatMap((r) => r.result.findings);
  const applied = applySuppressions(all, (uri) => workspace.text(uri) ?? texts.get(uri), acks, ackUri, [...roots]);
  const kept = [...applied.kept.map((finding) => ({ finding, run: runOf.get(finding) })), ...applied.own.map((finding) => ({ finding }))];
  return { runs, kept, suppressed: applied.suppressed, own: applied.own };
}

/** The acknowledged-breaks file `vmsd check --baseline` reads when it exists. */
export const DEFAULT_ACK_FILE = '.vmsd-acknowledged';
