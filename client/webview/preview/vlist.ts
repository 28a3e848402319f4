import { scrollToRow, windowOf } from './hex';

/**
 * A virtual list: a scrolling container that holds only the rows in view (plus a few),
 * absolutely placed over a spacer as tall as all of them, so a 200 KB hex dump or a
 * 30 000-element array scrolls as fast as a short one. Rows are rendered by the caller;
 * `paint` lets it restyle the rendered rows without rebuilding them.
 */
export class VirtualList {
  private readonly spacer: HTMLDivElement;
  private count = 0;
  private rendered = new Map<number, HTMLElement>();
  private frame = 0;
  /** The viewport's height, kept by a ResizeObserver (reading clientHeight forces a layout). */
  private viewport = 0;
  readonly rowHeight: number;

  /**
   * `whole`: up to this many rows are all rendered (small descriptions: every row is in
   * the page, for find and for tests); beyond, only the window in view.
   */
  constructor(
    readonly container: HTMLElement,
    private readonly render: (index: number) => HTMLElement,
    private readonly after?: () => void,
    private readonly whole = 0,
  ) {
    this.spacer = document.createElement('div');
    this.spacer.className = 'spacer';
    container.appendChild(this.spacer);
    this.rowHeight = parseFloat(getComputedStyle(container).getPropertyValue('--row-height')) || 20;
    container.addEventListener('scroll', () => this.schedule());
    new ResizeObserver((entries) => {
      this.viewport = entries[entries.length - 1].contentRect.height;
      this.schedule();
    }).observe(container);
  }

  setCount(n: number): void {
    this.count = n;
    this.spacer.style.height = `${n * this.rowHeight}px`;
    this.refresh();
  }

  get length(): number {
    return this.count;
  }

  /** Rows that fit in the viewport. */
  get pageRows(): number {
    return Math.max(1, Math.floor(this.viewport / this.rowHeight) - 1);
  }

  /** Reads the viewport's height now (after the list was shown). */
  measure(): void {
    this.viewport = this.container.clientHeight;
  }

  /** Rebuilds the rows in view. */
  refresh(): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    const { first, last } = this.count <= this.whole ? { first: 0, last: this.count } : windowOf(this.container.scrollTop, this.viewport, this.rowHeight, this.count);
    for (const el of this.rendered.values()) el.remove();
    this.rendered = new Map();
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const el = this.render(i);
      el.style.top = `${i * this.rowHeight}px`;
      el.style.height = `${this.rowHeight}px`;
      this.rendered.set(i, el);
      frag.appendChild(el);
    }
    this.container.appendChild(frag);
    this.after?.();
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.refresh());
  }

  /** The rendered rows, by index. */
  rows(): ReadonlyMap<number, HTMLElement> {
    return this.rendered;
  }

  /** Scrolls so that row `i` is in view (`center`: in the middle, when it was out); renders it now. */
  scrollTo(i: number, center = false): void {
    if (i < 0 || i >= this.count) return;
    const view = this.viewport;
    let top = scrollToRow(i, this.container.scrollTop, view, this.rowHeight);
    if (center && top !== this.container.scrollTop) top = Math.max(0, i * this.rowHeight - Math.floor((view - this.rowHeight) / 2));
    if (top !== this.container.scrollTop) this.container.scrollTop = top;
    if (!this.rendered.has(i)) this.refresh();
  }
}
