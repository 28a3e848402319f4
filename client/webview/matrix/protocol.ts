/**
 * What the compatibility matrix panel shows, as the extension posts it to the webview
 * (`{kind: 'matrix', view}`), and what the webview asks back: `{kind: 'ready'}` once it
 * listens, `{kind: 'reveal', description}` to open a description's source.
 */
export type Verdict = 'ok' | 'warning' | 'error';

export interface MatrixView {
  /** The baseline compared against, as the CLI names it (`git:3f2a…`, `old/`, `dump.json`). */
  baseline: string;
  /** The workspace folder checked. */
  folder: string;
  /** Machine types known to both sides, oldest first (`(defaults)` when none). */
  machines: string[];
  /** `old→new`, `new→old`: the columns. */
  directions: string[];
  /** One per description (wire name), in name order. */
  rows: MatrixRow[];
  /** Rows by their worst verdict. */
  counts: Record<Verdict, number>;
  /** The compatibility findings put into the Problems view. */
  findings: { errors: number; warnings: number; others: number };
  suppressed: number;
}

export interface MatrixRow {
  /** The description's wire name (its section name). */
  description: string;
  /** The worst verdict over every machine type and direction. */
  worst: Verdict;
  /** One per entry of MatrixView.directions. */
  cells: DirectionCell[];
}

export interface DirectionCell {
  direction: string;
  /** The worst verdict in this direction; null when no machine type was compared. */
  worst: Verdict | null;
  /** The verdict per machine type (MatrixView.machines order); null: not compared. */
  verdicts: Array<Verdict | null>;
  /** Runs of consecutive machine types with the same verdict and reasons. */
  runs: VerdictRun[];
}

export interface VerdictRun {
  /** `pc-i440fx-1.4 … pc-i440fx-2.11 (12)`, or `all 25`. */
  machines: string;
  count: number;
  verdict: Verdict;
  reasons: string[];
}

export type FromExtension = { kind: 'matrix'; view: MatrixView };
export type FromWebview = { kind: 'ready' } | { kind: 'reveal'; description: string };
