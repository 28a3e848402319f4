import { Diagnostic } from '../diagnostics/diagnostic';
import { compareWorkspaces } from '../compat/compare';
import { CompatResult, Finding } from '../compat/findings';
import { findingText, foldMachines, matrixRows } from '../compat/report';
import { applySuppressions } from '../compat/suppress';
import { Analysis } from '../semantic/analyzer';
import { Workspace } from '../semantic/workspace';
import { LineIndex } from '../util/lines';

/**
 * Compatibility in the editor: the baseline the `vmsd.compat.baseline` setting names
 * (default: the merge-base with the upstream branch, else HEAD), compared with the
 * workspace as it is being typed. The comparison is cached per analysis, so every open
 * document's diagnostics, hovers and code actions share one run per edit burst.
 */
export interface LoadedBaseline {
  label: string;
  kind: 'files' | 'git' | 'dump';
  workspace: Workspace;
  display(uri: string): string;
  problems: Array<{ path: string; message: string }>;
}

/** How the server reaches baselines (git, the disk); absent in hosts without them (browsers). */
export interface BaselineHost {
  load(spec: string, folderUri: string): LoadedBaseline;
  /** `git:<merge-base or HEAD>` for the folder, if it is in a git repository. */
  defaultSpec(folderUri: string): string | undefined;
  /** Whether the setting names a path (else it is a git revision). */
  isPath(value: string, folderUri: string): boolean;
}

/** What the setting means: off, a path, or a git revision (`origin/main` is `git:origin/main`). */
export function baselineSpec(setting: string | undefined, folderUri: string, host: BaselineHost): string | undefined {
  const v = (setting ?? '').trim();
  if (v === 'off' || v === 'none') return undefined;
  if (!v) return host.defaultSpec(folderUri);
  if (v.startsWith('git:') || host.isPath(v, folderUri)) return v;
  return `git:${v}`;
}

export class CompatState {
  private baseline?: LoadedBaseline;
  private cache?: { analysis: Analysis; result: CompatResult };
  /** Line indexes of baseline files (their texts do not change while the baseline is loaded). */
  private readonly lines = new Map<string, LineIndex>();
  /** The spec last loaded (`git:<sha>` for the default): a new one means reload. */
  spec?: string;

  /** Load (or drop, with no spec) the baseline; returns the problems to log. */
  setBaseline(spec: string | undefined, folderUri: string, host: BaselineHost | undefined): string[] {
    this.cache = undefined;
    this.baseline = undefined;
    this.lines.clear();
    this.spec = spec;
    if (!spec || !host) return [];
    const b = host.load(spec, folderUri);
    const problems = b.problems.map((p) => `baseline ${spec}: ${p.path}: ${p.message}`);
    if (b.workspace.uris().length) this.baseline = b;
    else problems.push(`baseline ${spec}: no .vmsd files; compatibility checks are off`);
    return problems;
  }

  get label(): string | undefined {
    return this.baseline?.label;
  }

  result(analysis: Analysis): CompatResult | undefined {
    if (!this.baseline) return undefined;
    if (this.cache?.analysis !== analysis) {
      const result = compareWorkspaces({
        baseline: { analysis: this.baseline.workspace.analysis(), label: this.baseline.label },
        current: { analysis, label: 'new' },
        toCurrent: (u) => u,
        baselineFromDump: this.baseline.kind === 'dump',
      });
      this.cache = { analysis, result };
    }
    return this.cache.result;
  }

  /** The compatibility findings of one file, as diagnostics (inline suppressions applied). */
  diagnostics(analysis: Analysis, uri: string, text: (uri: string) => string | undefined): Diagnostic[] {
    const r = this.result(analysis);
    if (!r || !this.baseline) return [];
    const mine = r.findings.filter((f) => f.place.side === 'current' && f.place.uri === uri);
    const applied = applySuppressions(mine, text, [], undefined, [uri]);
    return [...applied.kept, ...applied.own].map((f) => this.toDiagnostic(f, r));
  }

  private toDiagnostic(f: Finding, r: CompatResult): Diagnostic {
    const b = this.baseline!;
    const related = f.related.map((x) => {
      if (x.side === 'current' || b.kind === 'files') return { uri: x.uri, start: x.start, end: x.end, message: x.message };
      // git and dump baselines have no file to open at that place: the message says where.
      const p = this.baselineLines(x.uri).position(x.start);
      return { uri: f.place.uri, start: f.place.start, end: f.place.end, message: `${x.message}: ${b.display(x.uri)}:${p.line + 1}:${p.character + 1}` };
    });
    return {
      code: f.rule,
      severity: f.severity,
      message: findingText(f, r, false),
      start: f.place.start,
      end: f.place.end,
      uri: f.place.uri,
      ...(related.length ? { related } : {}),
      data: { compat: true, directions: f.directions, machines: f.machines, subject: f.subject, baseline: f.baseline, ...(f.data ?? {}) },
    };
  }

  private baselineLines(uri: string): LineIndex {
    let li = this.lines.get(uri);
    if (!li) this.lines.set(uri, (li = new LineIndex(this.baseline?.workspace.text(uri) ?? '')));
    return li;
  }

  /** Markdown for a hover on a description's name: its verdict per direction and machine types. */
  hoverTable(analysis: Analysis, uri: string, offset: number): string | undefined {
    const d = analysis.descriptions.find((x) => x.uri === uri && x.nameRange.start <= offset && offset <= x.nameRange.end);
    const r = d ? this.result(analysis) : undefined;
    if (!d || !r) return undefined;
    const rows = matrixRows({ ...r, matrix: r.matrix.filter((c) => c.description === d.body.wireName) });
    if (!rows.length) return undefined;
    const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
    const lines = [`**Migration against ${cell(r.baseline)}**`, '', '| direction | machine types | verdict | why |', '|---|---|---|---|'];
    for (const row of rows) {
      const machines = row.machines.length === r.machines.length && r.machines.length > 1 ? `all ${row.machines.length}` : foldMachines(row.machines, r.machines);
      const reason = row.reason.length > 160 ? row.reason.slice(0, 159) + '…' : row.reason;
      lines.push(`| ${row.direction} | ${cell(machines)} | ${row.verdict} | ${cell(reason)} |`);
    }
    return lines.join('\n');
  }
}
