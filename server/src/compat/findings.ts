import { Severity } from '../diagnostics/diagnostic';
import { Analysis } from '../semantic/analyzer';
import { Direction, RuleId } from './rules';

/**
 * What the compatibility engine produces: findings (one per rule and place, with the
 * directions and machine types they break) and the verdict matrix (one cell per
 * description, machine type and direction).
 */

/** One side of a comparison: the baseline ("old") or the descriptions checked ("new"). */
export interface CompatSide {
  analysis: Analysis;
  /** How the side is named in messages and reports: `git:v7.2`, `baseline/`, `dump.json`. */
  label: string;
}

export type SideName = 'baseline' | 'current';

/** A place in one of the two workspaces (offsets are UTF-16 units into the file). */
export interface Place {
  side: SideName;
  uri: string;
  start: number;
  end: number;
}

export interface FindingRelated extends Place {
  message: string;
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** One sentence, without the direction (renderers append it). */
  message: string;
  /** Where it is reported: in the new workspace, except for what only the baseline has. */
  place: Place;
  /** For deletions and moves, always the baseline location. */
  related: FindingRelated[];
  /** The directions it breaks; empty for hygiene findings. */
  directions: Direction[];
  /**
   * The machine types it applies to; undefined when it does not depend on the machine
   * type (every machine type, or a comparison without machine types).
   */
  machines?: string[];
  /**
   * A stable, file-independent name of the element (for acknowledgements): `e1000`,
   * `e1000:rxbuf_size`, `e1000/mit_state`, `e1000/mit_state:ITR`, `machine pc-i440fx-7.2`,
   * `enum Foo.bar`, `property e1000.mitigation`.
   */
  subject: string;
  /** The baseline it was found against (its label), when several are checked. */
  baseline: string;
  /** Facts for quick fixes: the baseline value, the suggested property, the machine types. */
  data?: Record<string, unknown>;
}

export type Verdict = 'ok' | 'warning' | 'error';

export interface MatrixCell {
  /** The description's wire name (the section name). */
  description: string;
  machine: string;
  direction: Direction;
  verdict: Verdict;
  /** Why: the findings that decide it, or what makes it safe ("subsection x not sent"). */
  reasons: string[];
}

export interface CompatResult {
  baseline: string;
  /** The machine types known to both sides, oldest first; ['(defaults)'] when none. */
  machines: string[];
  findings: Finding[];
  matrix: MatrixCell[];
}

/** Machine-type name used when neither side declares machine types: property defaults. */
export const DEFAULT_MACHINE = '(defaults)';
