/**
 * Fixture markers: `<|>` marks a cursor, `<|…|>` a range. Returns the text without markers
 * and the offsets in it, in order of appearance.
 */
export interface Marked {
  text: string;
  cursors: number[];
  ranges: Array<{ start: number; end: number }>;
}

export function parseMarkers(source: string): Marked {
  let text = '';
  const cursors: number[] = [];
  const ranges: Array<{ start: number; end: number }> = [];
  const open: number[] = [];
  let i = 0;
  while (i < source.length) {
    if (source.startsWith('<|>', i)) {
      cursors.push(text.length);
      i += 3;
    } else if (source.startsWith('<|', i)) {
      open.push(text.length);
      i += 2;
    } else if (source.startsWith('|>', i) && open.length) {
      const start = open.pop()!;
      ranges.push({ start, end: text.length });
      i += 2;
    } else {
      text += source[i++];
    }
  }
  if (open.length) throw new Error('unclosed <| marker in fixture');
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  return { text, cursors, ranges };
}
