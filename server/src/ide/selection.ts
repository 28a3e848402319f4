import * as A from '../syntax/ast';
import { blockOf, pathAt } from './nodes';

/**
 * Selection ranges: from the innermost node at the offset outwards (name → field →
 * body `{ … }` → description → file), each strictly larger than the one before.
 */
export function selectionRanges(file: A.SourceFile, offset: number): A.Range[] {
  const path = pathAt(file, offset);
  const out: A.Range[] = [];
  const push = (r: A.Range) => {
    const last = out[out.length - 1];
    if (!last || (r.start <= last.start && r.end >= last.end && (r.start < last.start || r.end > last.end))) out.push({ start: r.start, end: r.end });
  };
  for (let i = path.length - 1; i >= 0; i--) {
    const block = blockOf(path[i]);
    if (block && block.start <= offset && offset <= block.end) push(block);
    push(path[i]);
  }
  return out;
}
