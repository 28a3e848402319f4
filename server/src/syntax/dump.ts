import { Node } from './ast';
import { SyntaxTree } from './parser';

/**
 * A readable, stable text form of a syntax tree for golden tests: one node per line,
 * indented, with its kind, range and scalar properties.
 */
export function dumpTree(tree: SyntaxTree): string {
  const out: string[] = [];
  walk(tree.file, 0, out, tree.text);
  for (const d of tree.diagnostics) out.push(`! ${d.code} ${d.start}..${d.end} ${d.message}`);
  return out.join('\n') + '\n';
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as Node).kind === 'string' && typeof (v as Node).start === 'number';
}

function walk(node: Node, indent: number, out: string[], text: string): void {
  const pad = '  '.repeat(indent);
  const scalars: string[] = [];
  const children: Array<[string, Node | Node[] | object]> = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'kind' || key === 'start' || key === 'end' || key === 'attributed') continue;
    if (value === undefined) continue;
    if (isNode(value) && (value.kind === 'Name' || value.kind === 'String')) {
      // Leaves print inline: name=`serial`@79..85
      const leaf = value as Node & { text?: string; value?: string; quoted?: boolean };
      const shown = leaf.kind === 'Name' ? (leaf.quoted ? JSON.stringify(leaf.text) : leaf.text) : JSON.stringify(leaf.value);
      scalars.push(`${key}=${shown}@${leaf.start}..${leaf.end}`);
      continue;
    }
    if (isNode(value) || (Array.isArray(value) && value.length > 0)) children.push([key, value]);
    else if (Array.isArray(value)) continue;
    else if (typeof value === 'object' && value !== null) {
      // ranges (keyword, nullable, body) and docs
      const v = value as { start?: number; end?: number; text?: string; items?: unknown[] };
      if (Array.isArray(v.items)) children.push([key, value]);
      else if (typeof v.text === 'string') scalars.push(`${key}=${JSON.stringify(v.text)}`);
      else if (key !== 'keyword' && key !== 'opRange' && key !== 'argsRange') scalars.push(`${key}@${v.start}..${v.end}`);
    } else if (typeof value === 'bigint') scalars.push(`${key}=${value}n`);
    else scalars.push(`${key}=${JSON.stringify(value)}`);
  }
  out.push(`${pad}${node.kind} ${node.start}..${node.end} ${JSON.stringify(text.slice(node.start, Math.min(node.end, node.start + 40)))}${scalars.length ? ' ' + scalars.join(' ') : ''}`);
  for (const [key, value] of children) {
    if (Array.isArray(value)) {
      out.push(`${pad}  .${key}`);
      for (const c of value) if (isNode(c)) walk(c, indent + 2, out, text);
    } else if (isNode(value)) {
      out.push(`${pad}  .${key}`);
      walk(value, indent + 2, out, text);
    } else {
      const b = value as { start: number; end: number; items: unknown[]; closed: boolean };
      out.push(`${pad}  .${key} ${b.start}..${b.end} closed=${b.closed}`);
      for (const c of b.items) if (isNode(c)) walk(c, indent + 2, out, text);
    }
  }
}
