import { Diagnostic } from '../diagnostics/diagnostic';
import { parse, SyntaxTree } from '../syntax/parser';
import { resolveRelative } from '../util/uri';
import { analyze, Analysis } from './analyzer';

/**
 * The files of a workspace (URI → text) with their parses cached. Hosts (CLI, language
 * server, tests) put texts in; the core never reads the disk. analysis() is recomputed
 * only after a change, and re-parses only the files that changed.
 */
export class Workspace {
  private readonly files = new Map<string, { text: string; tree?: SyntaxTree }>();
  private cached?: Analysis;
  /** Per file: its include component (files connected by includes, either way). */
  private components?: Map<string, string[]>;
  private readonly componentAnalyses = new Map<string, Analysis>();

  set(uri: string, text: string): void {
    const old = this.files.get(uri);
    if (old && old.text === text) return;
    this.files.set(uri, { text });
    this.invalidate();
  }

  private invalidate(): void {
    this.cached = undefined;
    this.components = undefined;
    this.componentAnalyses.clear();
  }

  delete(uri: string): void {
    if (this.files.delete(uri)) this.invalidate();
  }

  has(uri: string): boolean {
    return this.files.has(uri);
  }

  uris(): string[] {
    return [...this.files.keys()];
  }

  text(uri: string): string | undefined {
    return this.files.get(uri)?.text;
  }

  tree(uri: string): SyntaxTree | undefined {
    const f = this.files.get(uri);
    if (!f) return undefined;
    if (!f.tree) f.tree = parse(f.text);
    return f.tree;
  }

  analysis(): Analysis {
    if (!this.cached) {
      const trees = new Map<string, SyntaxTree>();
      for (const uri of [...this.files.keys()].sort()) trees.set(uri, this.tree(uri)!);
      this.cached = analyze(trees);
    }
    return this.cached;
  }

  /**
   * The analysis of the files a file is connected to by includes (in either direction):
   * everything its diagnostics, hover and navigation depend on, without analysing the
   * rest of a large workspace. Cached per component until a file changes.
   */
  analysisFor(uri: string): Analysis {
    if (this.cached) return this.cached;
    const component = this.componentOf(uri);
    const key = component[0] ?? uri;
    let a = this.componentAnalyses.get(key);
    if (!a) {
      const trees = new Map<string, SyntaxTree>();
      for (const u of [...this.files.keys()].sort()) trees.set(u, this.tree(u)!);
      a = analyze(trees, new Set(component));
      // One component is the whole workspace: that is the full analysis.
      if (component.length === this.files.size) this.cached = a;
      this.componentAnalyses.set(key, a);
    }
    return a;
  }

  private componentOf(uri: string): string[] {
    if (!this.components) {
      // Union-find over include edges.
      const parent = new Map<string, string>();
      const find = (x: string): string => {
        let r = x;
        while (parent.get(r) !== r) r = parent.get(r)!;
        for (let y = x; parent.get(y) !== r; ) {
          const next = parent.get(y)!;
          parent.set(y, r);
          y = next;
        }
        return r;
      };
      for (const u of this.files.keys()) parent.set(u, u);
      for (const u of this.files.keys()) {
        for (const item of this.tree(u)!.file.items) {
          if (item.kind !== 'Include' || !item.path) continue;
          const target = resolveRelative(u, item.path.value);
          if (parent.has(target)) parent.set(find(u), find(target));
        }
      }
      const groups = new Map<string, string[]>();
      for (const u of [...this.files.keys()].sort()) {
        const r = find(u);
        const g = groups.get(r);
        if (g) g.push(u);
        else groups.set(r, [u]);
      }
      this.components = new Map();
      for (const g of groups.values()) for (const u of g) this.components.set(u, g);
    }
    return this.components.get(uri) ?? [uri];
  }

  diagnostics(uri: string): Diagnostic[] {
    return this.analysisFor(uri).diagnostics.get(uri) ?? [];
  }
}
