import { Diagnostic } from '../diagnostics/diagnostic';
import { parse, SyntaxTree } from '../syntax/parser';
import { analyze, Analysis } from './analyzer';

/**
 * The files of a workspace (URI → text) with their parses cached. Hosts (CLI, language
 * server, tests) put texts in; the core never reads the disk. analysis() is recomputed
 * only after a change, and re-parses only the files that changed.
 */
export class Workspace {
  private readonly files = new Map<string, { text: string; tree?: SyntaxTree }>();
  private cached?: Analysis;

  set(uri: string, text: string): void {
    const old = this.files.get(uri);
    if (old && old.text === text) return;
    this.files.set(uri, { text });
    this.cached = undefined;
  }

  delete(uri: string): void {
    if (this.files.delete(uri)) this.cached = undefined;
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

  diagnostics(uri: string): Diagnostic[] {
    return this.analysis().diagnostics.get(uri) ?? [];
  }
}
