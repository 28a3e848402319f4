import * as A from '../syntax/ast';

/**
 * Generic walks over the typed tree: the children of a node, and the chain of nodes that
 * contain an offset (for selection ranges, hover on built-ins, completion context).
 */
const SKIP = new Set(['attributed', 'doc', 'keyword', 'opRange', 'argsRange', 'nullable']);

export function children(node: A.Node): A.Node[] {
  const out: A.Node[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (SKIP.has(key) || value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const v of value) if (v && typeof v === 'object' && typeof (v as A.Node).kind === 'string') out.push(v as A.Node);
    } else if (typeof (value as A.Node).kind === 'string') {
      out.push(value as A.Node);
    } else if (Array.isArray((value as A.Block<A.Node>).items)) {
      for (const v of (value as A.Block<A.Node>).items) out.push(v);
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The nodes containing `offset`, outermost first (iterative: trees may be deep). */
export function pathAt(file: A.SourceFile, offset: number): A.Node[] {
  const path: A.Node[] = [file];
  let node: A.Node = file;
  for (;;) {
    const next = children(node).find((c) => c.start <= offset && offset <= c.end && c.end > c.start);
    if (!next) break;
    path.push(next);
    node = next;
  }
  return path;
}

/** The innermost node at `offset` that satisfies `pred`. */
export function nodeAt(file: A.SourceFile, offset: number, pred: (n: A.Node) => boolean): A.Node | undefined {
  const path = pathAt(file, offset);
  for (let i = path.length - 1; i >= 0; i--) if (pred(path[i])) return path[i];
  return undefined;
}

/** The range of a block (`{ … }`) of a node, if it has one. */
export function blockOf(node: A.Node): A.Range | undefined {
  const b = (node as { body?: unknown }).body;
  if (b && typeof b === 'object' && 'start' in (b as A.Range) && 'end' in (b as A.Range)) return b as A.Range;
  return undefined;
}
