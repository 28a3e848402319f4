import { Geometry, isScaled, offsetOfScrollTop, offsetToReveal, pageRows, rowTop, scrollTopOfOffset, spacerHeight, windowAt } from './virtual-list';

/**
 * A scrolling element that holds only the rows on screen (virtual-list.ts does the
 * arithmetic). Row elements are reused: `create` makes one, `render` fills it for a row.
 */
export interface VirtualViewOptions {
  container: HTMLElement;
  rowHeight: number;
  create: () => HTMLElement;
  render: (row: number, el: HTMLElement) => void;
  /** The rows on screen changed (to fetch what they show). */
  onWindow?: (first: number, end: number) => void;
  overscan?: number;
}

export class VirtualView {
  private readonly spacer: HTMLElement;
  private readonly shown = new Map<number, HTMLElement>();
  private readonly free: HTMLElement[] = [];
  private count = 0;
  /** The virtual offset (pixels from the top of all rows). */
  private offset = 0;
  /** The scrollTop we set last, so its scroll event is not read back as a drag. */
  private setScrollTop = -1;
  private frame = 0;
  private lastWindow = '';

  constructor(private readonly opts: VirtualViewOptions) {
    const c = opts.container;
    c.classList.add('virtual');
    this.spacer = document.createElement('div');
    this.spacer.className = 'virtual-spacer';
    c.appendChild(this.spacer);
    c.addEventListener('scroll', () => {
      if (Math.abs(c.scrollTop - this.setScrollTop) < 1) return;
      this.setScrollTop = -1;
      this.offset = offsetOfScrollTop(this.geometry(), c.scrollTop);
      this.schedule();
    });
    // Past the height cap a wheel step would jump thousands of rows: move in virtual pixels.
    c.addEventListener(
      'wheel',
      (e) => {
        const g = this.geometry();
        if (!isScaled(g) || e.ctrlKey) return;
        e.preventDefault();
        const dy = e.deltaMode === 1 ? e.deltaY * g.rowHeight : e.deltaMode === 2 ? e.deltaY * g.viewport : e.deltaY;
        this.scrollTo(this.offset + dy);
      },
      { passive: false },
    );
    new ResizeObserver(() => this.schedule()).observe(c);
  }

  geometry(): Geometry {
    return { count: this.count, rowHeight: this.opts.rowHeight, viewport: this.opts.container.clientHeight };
  }

  get rows(): number {
    return this.count;
  }

  /** Rows per page key. */
  get page(): number {
    return pageRows(this.geometry());
  }

  setCount(n: number): void {
    if (n === this.count) return;
    this.count = n;
    this.spacer.style.height = `${spacerHeight(this.geometry())}px`;
    this.scrollTo(this.offset);
  }

  /** Draws the rows on screen again (their data changed), and reports the window again. */
  refresh(): void {
    this.lastWindow = '';
    this.schedule();
  }

  /** Scrolls to a virtual offset. */
  scrollTo(offset: number): void {
    const g = this.geometry();
    this.spacer.style.height = `${spacerHeight(g)}px`;
    this.offset = Math.max(0, Math.min(offset, Math.max(0, g.count * g.rowHeight - g.viewport)));
    const top = scrollTopOfOffset(g, this.offset);
    if (Math.abs(this.opts.container.scrollTop - top) >= 1) {
      this.setScrollTop = top;
      this.opts.container.scrollTop = top;
      this.setScrollTop = this.opts.container.scrollTop;
    }
    this.schedule();
  }

  /** Brings a row into view. */
  reveal(row: number, align: 'nearest' | 'start' | 'center' = 'nearest'): void {
    if (row < 0 || row >= this.count) return;
    this.scrollTo(offsetToReveal(this.geometry(), row, this.offset, align));
  }

  /** The rows on screen (no overscan). */
  visible(): { first: number; end: number } {
    return windowAt(this.geometry(), this.offset, 0);
  }

  /** The element of a row, if it is rendered. */
  element(row: number): HTMLElement | undefined {
    return this.shown.get(row);
  }

  /** Renders now (tests and callers that need the DOM updated synchronously). */
  flush(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.draw();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const g = this.geometry();
    const { first, end } = windowAt(g, this.offset, this.opts.overscan ?? 6);
    for (const [row, el] of this.shown) {
      if (row < first || row >= end) {
        this.shown.delete(row);
        el.remove();
        this.free.push(el);
      }
    }
    const scrollTop = this.opts.container.scrollTop;
    for (let row = first; row < end; row++) {
      let el = this.shown.get(row);
      if (!el) {
        el = this.free.pop() ?? this.opts.create();
        el.style.position = 'absolute';
        el.style.left = '0';
        el.style.right = '0';
        el.style.height = `${g.rowHeight}px`;
        this.shown.set(row, el);
        this.spacer.appendChild(el);
      }
      el.style.transform = `translateY(${rowTop(g, row, this.offset, scrollTop)}px)`;
      this.opts.render(row, el);
    }
    const w = `${first}:${end}`;
    if (w !== this.lastWindow) {
      this.lastWindow = w;
      this.opts.onWindow?.(first, end);
    }
  }
}
