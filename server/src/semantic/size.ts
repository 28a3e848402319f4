/**
 * Symbolic wire sizes: a constant plus linear terms over counts (`42 × num_timers`), plus
 * parts whose size depends on state the description cannot see (opaque encodings, lists)
 * or that are only present sometimes (conditional fields, subsections, NULL elements).
 */
export interface Size {
  constant: number;
  /** symbol (a count such as `num_timers`, or a product `n × m`) → bytes per unit */
  terms: Map<string, number>;
  /** Parts of unknown size, described (`opaque "virtio"`). */
  unknown: string[];
  /** Parts that may be absent or vary (`subsection e1000/mit_state`, `field x if (…)`). */
  conditional: string[];
}

const EMPTY_TERMS: Map<string, number> = new Map();

export function constSize(n: number): Size {
  return { constant: n, terms: EMPTY_TERMS, unknown: NO_NOTES, conditional: NO_NOTES };
}

export function symbolicSize(symbol: string, coef: number): Size {
  return { constant: 0, terms: new Map([[symbol, coef]]), unknown: [], conditional: [] };
}

export function unknownSize(what: string): Size {
  return { constant: 0, terms: new Map(), unknown: [what], conditional: [] };
}

export function isStatic(s: Size): boolean {
  return s.terms.size === 0 && s.unknown.length === 0 && s.conditional.length === 0;
}

const NO_NOTES: string[] = [];

/** Sizes are immutable values: parts are shared, never changed in place. */
export function addSize(a: Size, b: Size): Size {
  if (b.terms.size === 0 && b.unknown.length === 0 && b.conditional.length === 0) {
    const constant = a.constant + b.constant;
    return Number.isSafeInteger(constant) ? { constant, terms: a.terms, unknown: a.unknown, conditional: a.conditional } : unknownSize('more than 2^53 bytes');
  }
  const terms = new Map(a.terms);
  for (const [k, v] of b.terms) terms.set(k, (terms.get(k) ?? 0) + v);
  return checked({
    constant: a.constant + b.constant,
    terms,
    unknown: mergeNotes(a.unknown, b.unknown),
    conditional: mergeNotes(a.conditional, b.conditional),
  });
}

/** Notes are capped so that sizes of huge descriptions stay small to keep and to show. */
function mergeNotes(a: string[], b: string[]): string[] {
  if (b.length === 0) return a;
  const out = a.slice();
  for (const x of b) if (!out.includes(x) && out.length < 8) out.push(x);
  return out;
}

/** Sizes are JS numbers: past 2^53 they would be silently wrong, so they become unknown. */
function checked(s: Size): Size {
  let ok = Number.isSafeInteger(s.constant);
  for (const v of s.terms.values()) ok &&= Number.isSafeInteger(v);
  return ok ? s : unknownSize('more than 2^53 bytes');
}

/** `count` copies of `elem`, count being fixed or a symbol (with a factor). */
export function repeatSize(elem: Size, count: { value: number } | { symbol: string; factor: number }): Size {
  if ('value' in count) {
    const terms = new Map<string, number>();
    for (const [k, v] of elem.terms) terms.set(k, v * count.value);
    return checked({
      constant: elem.constant * count.value,
      terms,
      unknown: count.value === 0 ? [] : elem.unknown,
      conditional: count.value === 0 ? [] : elem.conditional,
    });
  }
  const terms = new Map<string, number>();
  if (elem.constant) terms.set(count.symbol, elem.constant * count.factor);
  for (const [k, v] of elem.terms) terms.set(`${count.symbol} × ${k}`, v * count.factor);
  return checked({
    constant: 0,
    terms,
    unknown: elem.unknown.map((u) => `${count.symbol} × ${u}`),
    conditional: elem.conditional,
  });
}

export function withConditional(s: Size, note: string): Size {
  return { ...s, conditional: mergeNotes(s.conditional, [note]) };
}

/** `1 + 42 × num_timers`, `8 + opaque "virtio"`, `256`. */
export function formatSize(s: Size, opts: { conditional?: boolean } = {}): string {
  const parts: string[] = [];
  if (s.constant !== 0 || (s.terms.size === 0 && s.unknown.length === 0)) parts.push(String(s.constant));
  for (const [k, v] of s.terms) parts.push(v === 1 ? k : `${v} × ${k}`);
  for (const u of s.unknown) parts.push(u);
  let text = parts.join(' + ');
  if (opts.conditional !== false && s.conditional.length) text += ` (+ ${s.conditional.join(', ')})`;
  return text;
}
