import { Analysis } from '../semantic/analyzer';
import { Range } from '../syntax/ast';

/** Document links: each `include "…"` that resolves opens the included file. */
export interface DocumentLink {
  range: Range;
  target: string;
}

export function documentLinks(analysis: Analysis, uri: string): DocumentLink[] {
  const info = analysis.files.get(uri);
  if (!info) return [];
  const out: DocumentLink[] = [];
  for (const inc of info.includes) {
    const p = inc.decl.path;
    if (p && inc.target) out.push({ range: { start: p.start + 1, end: Math.max(p.start + 1, p.end - 1) }, target: inc.target });
  }
  return out;
}
