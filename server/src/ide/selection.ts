import * as A from '../syntax/ast';
import { pathAt } from './nodes';

/**
 * Selection ranges: from the innermost node at the offset outwards (name → field →
 * body → description → file), each strictly larger than the one before.
 */
export function selectionRanges(file: A.SourceFile, offset: number): A.Range[] {
  const path = pathAt(file, offset);
  const out: A.Range[] = [];
  for (let i = path.length - 1; i >= 0; i--) {
    const r = { start: path[i].start, end: path[i].end };
    const last = out[out.length - 1];
    if (!last || r.start < last.start || r.end > last.end) out.push(r);
  }
  return out;
}
