import { SyntaxTree } from '../syntax/parser';
import { T } from '../syntax/tokens';
import { LineIndex } from '../util/lines';
import { blockOf, children } from './nodes';
import * as A from '../syntax/ast';

/** Folding ranges (zero-based lines): bodies, runs of comments, multi-line block comments. */
export interface FoldingRange {
  startLine: number;
  endLine: number;
  kind?: 'comment' | 'imports' | 'region';
}

export function foldingRanges(tree: SyntaxTree, lines: LineIndex = new LineIndex(tree.text)): FoldingRange[] {
  const out: FoldingRange[] = [];
  const stack: A.Node[] = [tree.file];
  while (stack.length) {
    const node = stack.pop()!;
    const b = blockOf(node);
    if (b) {
      const s = lines.position(b.start).line;
      // Fold up to the line before the closing brace, so `}` stays visible.
      const e = lines.position(b.end).line - 1;
      if (e > s) out.push({ startLine: s, endLine: e });
    }
    if (node.kind === 'File' || node.kind === 'Vmstate' || node.kind === 'Subsection' || node.kind === 'Enum' || node.kind === 'Device' || node.kind === 'Machine') {
      stack.push(...children(node));
    }
  }
  // Comments: consecutive line comments, and block comments over several lines.
  let run: { start: number; end: number } | undefined;
  const flush = () => {
    if (run && run.end > run.start) out.push({ startLine: run.start, endLine: run.end, kind: 'comment' });
    run = undefined;
  };
  const includes: number[] = [];
  for (const t of tree.tokens) {
    if (t.kind === T.LineComment || t.kind === T.DocComment) {
      const l = lines.position(t.start).line;
      if (run && l === run.end + 1) run.end = l;
      else {
        flush();
        run = { start: l, end: l };
      }
    } else if (t.kind === T.BlockComment) {
      flush();
      const s = lines.position(t.start).line;
      const e = lines.position(t.end).line;
      if (e > s) out.push({ startLine: s, endLine: e, kind: 'comment' });
    }
  }
  flush();
  for (const item of tree.file.items) if (item.kind === 'Include') includes.push(lines.position(item.start).line);
  if (includes.length > 1) out.push({ startLine: includes[0], endLine: includes[includes.length - 1], kind: 'imports' });
  return out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}
