import { format } from '../format/formatter';
import { SyntaxTree } from '../syntax/parser';
import { Range } from '../syntax/ast';

/**
 * Formatting as edits, identical to `vmsd fmt`: the canonical text of the whole file,
 * given as the smallest replacement (common prefix and suffix kept), so cursors and
 * marks outside the change stay put. A file with syntax errors gets no edit.
 */
export interface TextEdit {
  range: Range;
  newText: string;
}

export function formattingEdits(tree: SyntaxTree): TextEdit[] {
  const formatted = format(tree);
  if (formatted === undefined || formatted === tree.text) return [];
  return [minimalEdit(tree.text, formatted)];
}

/**
 * Range formatting: the canonical layout depends on the whole file (blank lines between
 * declarations, indentation), so the file is formatted and the edits are kept only when
 * they fall inside the requested range, widened to whole lines.
 */
export function rangeFormattingEdits(tree: SyntaxTree, range: Range): TextEdit[] {
  const formatted = format(tree);
  if (formatted === undefined || formatted === tree.text) return [];
  const edits = lineEdits(tree.text, formatted);
  return edits.filter((e) => e.range.start >= lineStartOf(tree.text, range.start) && e.range.end <= lineEndOf(tree.text, range.end));
}

export function minimalEdit(before: string, after: string): TextEdit {
  let p = 0;
  const max = Math.min(before.length, after.length);
  while (p < max && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && before.charCodeAt(before.length - 1 - s) === after.charCodeAt(after.length - 1 - s)) s++;
  return { range: { start: p, end: before.length - s }, newText: after.slice(p, after.length - s) };
}

/** Per-line edits for runs of changed lines (a simple diff: equal lines matched greedily in order). */
function lineEdits(before: string, after: string): TextEdit[] {
  const a = splitLines(before);
  const b = splitLines(after);
  const edits: TextEdit[] = [];
  let i = 0;
  let j = 0;
  let offset = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      offset += a[i].length;
      i++;
      j++;
      continue;
    }
    // Find the next line of `a` that reappears in `b` ahead (bounded look-ahead keeps it linear).
    let ni = i;
    let nj = j;
    search: for (let d = 1; d < 50; d++) {
      for (let k = 0; k <= d; k++) {
        const x = i + k;
        const y = j + d - k;
        if (x <= a.length && y <= b.length && (x === a.length ? y === b.length : y < b.length && a[x] === b[y])) {
          ni = x;
          nj = y;
          break search;
        }
      }
      ni = a.length;
      nj = b.length;
    }
    if (ni - i === nj - j) {
      // As many lines out as in: one edit per line, so a range can take just its own.
      for (; i < ni; i++, j++) {
        edits.push({ range: { start: offset, end: offset + a[i].length }, newText: b[j] });
        offset += a[i].length;
      }
      continue;
    }
    const removed = a.slice(i, ni).join('');
    edits.push({ range: { start: offset, end: offset + removed.length }, newText: b.slice(j, nj).join('') });
    offset += removed.length;
    i = ni;
    j = nj;
  }
  return edits;
}

function splitLines(s: string): string[] {
  return s.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEndOf(text: string, offset: number): number {
  const n = text.indexOf('\n', offset);
  return n < 0 ? text.length : n + 1;
}
