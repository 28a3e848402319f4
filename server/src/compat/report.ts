import { CompatResult, Finding, MatrixCell } from './findings';
import { Direction } from './rules';

/**
 * Text shapes of compatibility results, shared by `vmsd check --baseline` (text, json)
 * and the editor's hover: machine-type lists folded into ranges, the direction suffix,
 * and the verdict matrix as a table.
 */

/** ` (old→new, new→old)`; hygiene findings say that they break neither. */
export function directionSuffix(directions: readonly Direction[]): string {
  return directions.length ? ` (${directions.join(', ')})` : ' (hygiene: breaks neither old→new nor new→old)';
}

/**
 * A list of machine types folded into runs of the full, ordered list:
 * `pc-i440fx-1.4 … pc-i440fx-2.11 (12), pc-i440fx-7.2`.
 */
export function foldMachines(machines: readonly string[], all: readonly string[]): string {
  const wanted = new Set(machines);
  const runs: string[][] = [];
  let run: string[] = [];
  for (const m of all) {
    if (wanted.has(m)) run.push(m);
    else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  const known = new Set(all);
  const extra = machines.filter((m) => !known.has(m));
  const parts = runs.map((r) => (r.length >= 3 ? `${r[0]} … ${r[r.length - 1]} (${r.length})` : r.join(', ')));
  return [...parts, ...extra].join(', ');
}

/** The message as printed: machine types (when not all of them), the baseline when several, the direction. */
export function findingText(f: Finding, result: CompatResult, severalBaselines: boolean): string {
  let s = f.message;
  if (f.machines?.length) s += ` [machine type${f.machines.length === 1 ? '' : 's'} ${foldMachines(f.machines, result.machines)}]`;
  if (severalBaselines && f.baseline) s += ` [against ${f.baseline}]`;
  return s + directionSuffix(f.directions);
}

interface MatrixRow {
  description: string;
  direction: Direction;
  machines: string[];
  verdict: string;
  reason: string;
}

/**
 * The verdict matrix, one row per description, direction and run of machine types with
 * the same verdict and reason (25 machine types × 2 directions would not fit a screen).
 */
export function matrixRows(result: CompatResult): MatrixRow[] {
  const rows: MatrixRow[] = [];
  const byKey = new Map<string, MatrixCell[]>();
  for (const c of result.matrix) {
    const k = `${c.description}\u0000${c.direction}`;
    const list = byKey.get(k);
    if (list) list.push(c);
    else byKey.set(k, [c]);
  }
  for (const cells of byKey.values()) {
    let cur: MatrixRow | undefined;
    for (const c of cells) {
      const reason = c.reasons.join('; ');
      if (cur && cur.verdict === c.verdict && cur.reason === reason) cur.machines.push(c.machine);
      else rows.push((cur = { description: c.description, direction: c.direction, machines: [c.machine], verdict: c.verdict, reason }));
    }
  }
  return rows;
}

export function matrixTable(result: CompatResult, opts: { maxReason?: number } = {}): string {
  const max = opts.maxReason ?? 140;
  const rows = matrixRows(result).map((r) => [
    r.description,
    r.direction,
    r.machines.length === result.machines.length && r.machines.length > 1 ? `all ${r.machines.length}` : foldMachines(r.machines, result.machines),
    r.verdict,
    r.reason.length > max ? r.reason.slice(0, max - 1) + '…' : r.reason,
  ]);
  return table([['description', 'direction', 'machine types', 'verdict', 'reason'], ...rows]);
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
