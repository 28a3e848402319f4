import type { DirectionCell, MatrixRow, MatrixView, Verdict, VerdictRun } from '../../webview/matrix/protocol';
import type { CheckOutput, CompatRunJson } from './check-output';
import { countFindings } from './findings-to-diagnostics';

/**
 * The verdict matrix of one baseline (`compatibility[i]` of `vmsd check --format json`:
 * one cell per description, machine type and direction) shaped for the matrix panel: a
 * row per description, a column per direction, and in each cell the verdict of every
 * machine type plus the runs of machine types that share a verdict and its reasons. No
 * `vscode` here: tests import it.
 */
const rank: Record<Verdict, number> = { ok: 0, warning: 1, error: 2 };
const DEFAULT_DIRECTIONS = ['old→new', 'new→old'];

export function worse(a: Verdict | null, b: Verdict | null): Verdict | null {
  if (a === null) return b;
  if (b === null) return a;
  return rank[b] > rank[a] ? b : a;
}

/**
 * Machine types folded into runs of the ordered list: `all 25` when it is all of them,
 * else `pc-i440fx-1.4 … pc-i440fx-2.11 (12), pc-i440fx-7.2`.
 */
export function foldMachineList(machines: readonly string[], all: readonly string[]): string {
  if (machines.length === all.length && machines.length > 1 && machines.every((m, i) => m === all[i])) return `all ${machines.length}`;
  const wanted = new Set(machines);
  const parts: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length) parts.push(run.length >= 3 ? `${run[0]} … ${run[run.length - 1]} (${run.length})` : run.join(', '));
    run = [];
  };
  for (const m of all) {
    if (wanted.has(m)) run.push(m);
    else flush();
  }
  flush();
  const known = new Set(all);
  return [...parts, ...machines.filter((m) => !known.has(m))].join(', ');
}

export function matrixView(run: CompatRunJson, out: CheckOutput, folder: string): MatrixView {
  const machines = run.machines.length ? [...run.machines] : [...new Set(run.matrix.map((c) => c.machine))];
  const machineIndex = new Map(machines.map((m, i) => [m, i]));
  const directions = [...DEFAULT_DIRECTIONS];
  for (const c of run.matrix) if (!directions.includes(c.direction)) directions.push(c.direction);

  // description → direction → machine → cell
  const byDescription = new Map<string, Map<string, Map<string, { verdict: Verdict; reasons: string[] }>>>();
  for (const c of run.matrix) {
    let dirs = byDescription.get(c.description);
    if (!dirs) byDescription.set(c.description, (dirs = new Map()));
    let cells = dirs.get(c.direction);
    if (!cells) dirs.set(c.direction, (cells = new Map()));
    if (!machineIndex.has(c.machine)) {
      machineIndex.set(c.machine, machines.length);
      machines.push(c.machine);
    }
    const prev = cells.get(c.machine);
    // Two cells for one place should not happen; keep the worse.
    if (!prev || rank[c.verdict] > rank[prev.verdict]) cells.set(c.machine, { verdict: c.verdict, reasons: [...(c.reasons ?? [])] });
  }

  const rows: MatrixRow[] = [...byDescription.keys()]
    .sort((a, b) => a.localeCompare(b))
    .map((description) => {
      const dirs = byDescription.get(description)!;
      const cells: DirectionCell[] = directions.map((direction) => {
        const byMachine = dirs.get(direction) ?? new Map();
        const verdicts = machines.map((m) => byMachine.get(m)?.verdict ?? null);
        const runs: VerdictRun[] = [];
        let cur: { machines: string[]; verdict: Verdict; reasons: string[]; key: string } | undefined;
        const flush = () => {
          if (cur) runs.push({ machines: foldMachineList(cur.machines, machines), count: cur.machines.length, verdict: cur.verdict, reasons: cur.reasons });
          cur = undefined;
        };
        for (const m of machines) {
          const cell = byMachine.get(m);
          if (!cell) {
            flush();
            continue;
          }
          const key = `${cell.verdict}\u0000${cell.reasons.join('\u0000')}`;
          if (cur && cur.key === key) cur.machines.push(m);
          else {
            flush();
            cur = { machines: [m], verdict: cell.verdict, reasons: cell.reasons, key };
          }
        }
        flush();
        return { direction, worst: verdicts.reduce<Verdict | null>(worse, null), verdicts, runs };
      });
      const worst = cells.reduce<Verdict | null>((w, c) => worse(w, c.worst), null) ?? 'ok';
      return { description, worst, cells };
    });

  const counts: Record<Verdict, number> = { ok: 0, warning: 0, error: 0 };
  for (const r of rows) counts[r.worst]++;
  return {
    baseline: run.baseline,
    folder,
    machines,
    directions,
    rows,
    counts,
    findings: countFindings(out),
    suppressed: out.summary.suppressed ?? out.suppressed?.length ?? 0,
  };
}

/** A workspace symbol as `vscode.executeWorkspaceSymbolProvider` returns it (the fields used). */
export interface SymbolLike {
  name: string;
  containerName?: string;
}

/**
 * The description a matrix row (a wire name) is declared by, among workspace symbols: the
 * language server lists descriptions with their wire name as container. A description
 * whose name is the wire name wins; else the first whose container is.
 */
export function pickDescriptionSymbol<T extends SymbolLike>(symbols: readonly T[], wireName: string): T | undefined {
  const byContainer = symbols.filter((s) => s.containerName === wireName);
  return byContainer.find((s) => s.name === wireName) ?? byContainer[0];
}
