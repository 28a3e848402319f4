import { SyntaxTree } from '../../server/src/syntax/parser';
import { T } from '../../server/src/syntax/tokens';

/** The tree without positions: two parses are equivalent when their shapes are equal. */
export function shape(tree: SyntaxTree): unknown {
  return JSON.parse(
    JSON.stringify(tree.file, (key, value) => {
      if (key === 'attributed') return undefined;
      if (key === 'start' || key === 'end' || key === 'keyword' || key === 'opRange' || key === 'argsRange' || key === 'nullable') {
        return key === 'nullable' ? true : undefined;
      }
      if (key === 'body' && value && typeof value === 'object' && !Array.isArray(value) && !('items' in value)) return true;
      if (typeof value === 'bigint') return `${value}n`;
      return value;
    }),
  );
}

/** The comments of a file, in order (doc comments included). */
export function comments(tree: SyntaxTree): string[] {
  return tree.tokens
    .filter((t) => t.kind === T.LineComment || t.kind === T.BlockComment || t.kind === T.DocComment)
    .map((t) => tree.text.slice(t.start, t.end).trimEnd());
}
