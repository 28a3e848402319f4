/**
 * Pages fetched from the language server on demand (sections, bytes with their
 * annotations, tree levels): the ones wanted now are loaded, a few at a time, most
 * recently wanted first; a bounded number stay cached; clear() forgets everything, and
 * answers to loads started before it are dropped.
 */

export interface PageCacheOptions<T> {
  load: (page: number) => Promise<T>;
  /** Pages kept (least recently used go first). */
  capacity?: number;
  /** Loads at once. */
  concurrency?: number;
  /** Called when a page arrives (or fails), for a redraw. */
  onChange?: (page: number) => void;
}

export class PageCache<T> {
  private readonly pages = new Map<number, T>();
  private readonly failed = new Map<number, string>();
  private readonly inFlight = new Set<number>();
  private wanted: number[] = [];
  private generation = 0;
  private readonly capacity: number;
  private readonly concurrency: number;

  constructor(private readonly opts: PageCacheOptions<T>) {
    this.capacity = Math.max(1, opts.capacity ?? 64);
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
  }

  /** The page if loaded (and marks it recently used). */
  get(page: number): T | undefined {
    const v = this.pages.get(page);
    if (v !== undefined) {
      this.pages.delete(page);
      this.pages.set(page, v);
    }
    return v;
  }

  has(page: number): boolean {
    return this.pages.has(page);
  }

  isLoading(page: number): boolean {
    return this.inFlight.has(page) || this.wanted.includes(page);
  }

  /** Why a page failed to load, if it did. */
  error(page: number): string | undefined {
    return this.failed.get(page);
  }

  /** The loaded page numbers, oldest use first. */
  loaded(): number[] {
    return [...this.pages.keys()];
  }

  /**
   * The pages needed now, in order of importance: those not loaded are fetched; earlier
   * wishes not repeated here are dropped unless already on their way.
   */
  want(pages: Iterable<number>): void {
    const list: number[] = [];
    for (const p of pages) if (!this.pages.has(p) && !this.failed.has(p) && !this.inFlight.has(p) && !list.includes(p)) list.push(p);
    this.wanted = list;
    this.pump();
  }

  /** Forgets every page and error; loads under way are ignored when they finish. */
  clear(): void {
    this.generation++;
    this.pages.clear();
    this.failed.clear();
    this.inFlight.clear();
    this.wanted = [];
  }

  /** Puts a page in directly (from an answer that carried it anyway). */
  put(page: number, value: T): void {
    this.pages.set(page, value);
    this.failed.delete(page);
    this.evict();
  }

  private pump(): void {
    while (this.inFlight.size < this.concurrency && this.wanted.length) {
      const page = this.wanted.shift()!;
      if (this.pages.has(page) || this.inFlight.has(page)) continue;
      this.inFlight.add(page);
      const generation = this.generation;
      this.opts.load(page).then(
        (value) => {
          if (generation !== this.generation) return;
          this.inFlight.delete(page);
          this.put(page, value);
          this.opts.onChange?.(page);
          this.pump();
        },
        (e: unknown) => {
          if (generation !== this.generation) return;
          this.inFlight.delete(page);
          this.failed.set(page, e instanceof Error ? e.message : String(e));
          this.opts.onChange?.(page);
          this.pump();
        },
      );
    }
  }

  private evict(): void {
    while (this.pages.size > this.capacity) {
      const oldest = this.pages.keys().next().value as number;
      this.pages.delete(oldest);
    }
  }
}

/** The page numbers that cover [start, end) with pages of `size`. */
export function pagesFor(start: number, end: number, size: number): number[] {
  if (end <= start) return [];
  const out: number[] = [];
  for (let p = Math.floor(start / size); p * size < end; p++) out.push(p);
  return out;
}
