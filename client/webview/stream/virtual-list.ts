/**
 * Windowing for lists of fixed-height rows (sections, tree rows, hex rows): which rows are
 * on screen and where they go, so only those are in the DOM.
 *
 * Browsers cap an element's height (a few million pixels reliably), far less than the hex
 * rows of a large stream need (a 1 GiB stream is 67 million rows). Past `maxPx` the
 * scrollable height is capped and the list scrolls in *virtual* pixels: the view keeps
 * the virtual offset, maps the scroll bar proportionally, and turns wheel and keys into
 * virtual pixels itself, so a wheel step still moves a few rows.
 */

/** Below every browser's limit on an element's height. */
export const MAX_SCROLL_PX = 4_000_000;

export interface Geometry {
  count: number;
  rowHeight: number;
  /** The viewport's height in pixels. */
  viewport: number;
  /** The cap on the scrollable height (MAX_SCROLL_PX unless a test says otherwise). */
  maxPx?: number;
}

/** The height of all rows, in virtual pixels. */
export function totalHeight(g: Geometry): number {
  return g.count * g.rowHeight;
}

/** The height the scrolled element gets: the rows' height, capped. */
export function spacerHeight(g: Geometry): number {
  return Math.min(totalHeight(g), g.maxPx ?? MAX_SCROLL_PX);
}

/** Whether the list scrolls in virtual pixels (taller than the cap). */
export function isScaled(g: Geometry): boolean {
  return totalHeight(g) > (g.maxPx ?? MAX_SCROLL_PX);
}

/** The largest virtual offset (the last row at the bottom of the viewport). */
export function maxOffset(g: Geometry): number {
  return Math.max(0, totalHeight(g) - g.viewport);
}

export function clampOffset(g: Geometry, offset: number): number {
  return Math.max(0, Math.min(maxOffset(g), offset));
}

/** The virtual offset of a scroll position. */
export function offsetOfScrollTop(g: Geometry, scrollTop: number): number {
  if (!isScaled(g)) return clampOffset(g, scrollTop);
  const track = spacerHeight(g) - g.viewport;
  return track <= 0 ? 0 : clampOffset(g, (scrollTop / track) * maxOffset(g));
}

/** The scroll position that shows a virtual offset. */
export function scrollTopOfOffset(g: Geometry, offset: number): number {
  const o = clampOffset(g, offset);
  if (!isScaled(g)) return o;
  const max = maxOffset(g);
  return max === 0 ? 0 : (o / max) * (spacerHeight(g) - g.viewport);
}

export interface RowWindow {
  /** First row to render. */
  first: number;
  /** One past the last row to render. */
  end: number;
}

/** The rows to render at a virtual offset: those on screen plus `overscan` on each side. */
export function windowAt(g: Geometry, offset: number, overscan = 4): RowWindow {
  if (g.count === 0 || g.rowHeight <= 0) return { first: 0, end: 0 };
  const o = clampOffset(g, offset);
  const first = Math.max(0, Math.floor(o / g.rowHeight) - overscan);
  const end = Math.min(g.count, Math.ceil((o + g.viewport) / g.rowHeight) + overscan);
  return { first, end: Math.max(first, end) };
}

/** Where a row goes inside the scrolled element (px from its top), at a virtual offset and scroll position. */
export function rowTop(g: Geometry, row: number, offset: number, scrollTop: number): number {
  return scrollTop + row * g.rowHeight - clampOffset(g, offset);
}

/**
 * The virtual offset that brings a row into view: unchanged when it already is, else the
 * nearest edge (`nearest`), or the row at the top (`start`) or in the middle (`center`).
 */
export function offsetToReveal(g: Geometry, row: number, offset: number, align: 'nearest' | 'start' | 'center' = 'nearest'): number {
  const top = row * g.rowHeight;
  const bottom = top + g.rowHeight;
  if (align === 'start') return clampOffset(g, top);
  if (align === 'center') return clampOffset(g, top - (g.viewport - g.rowHeight) / 2);
  if (top < offset) return clampOffset(g, top);
  if (bottom > offset + g.viewport) return clampOffset(g, bottom - g.viewport);
  return clampOffset(g, offset);
}

/** The row at a y position inside the viewport (for clicks and keys), or -1. */
export function rowAtY(g: Geometry, offset: number, y: number): number {
  const row = Math.floor((clampOffset(g, offset) + y) / g.rowHeight);
  return row >= 0 && row < g.count ? row : -1;
}

/** The rows a page key moves: the whole rows in the viewport, less one, at least one. */
export function pageRows(g: Geometry): number {
  return Math.max(1, Math.floor(g.viewport / g.rowHeight) - 1);
}
