import { Analysis } from '../semantic/analyzer';
import { BodyModel } from '../semantic/model';
import { formatSize, isStatic, Size } from '../semantic/size';
import { Range } from '../syntax/ast';

/**
 * Inlay hints: the wire offset and size of each field (`@24 1B`), and the total size of
 * each description and subsection after its name. Offsets are those at the body's
 * current version; a field that is not sent at that version says so.
 */
export interface InlayHint {
  /** Where the hint is shown (after the field or the name). */
  offset: number;
  label: string;
  tooltip?: string;
}

function short(s: Size | undefined): string {
  if (!s) return '?';
  return isStatic(s) ? `${s.constant}B` : formatSize(s, { conditional: false });
}

export function inlayHints(analysis: Analysis, uri: string, range?: Range): InlayHint[] {
  const out: InlayHint[] = [];
  const inRange = (o: number) => !range || (o >= range.start && o <= range.end);
  const body = (b: BodyModel) => {
    for (const f of b.fields) {
      const end = f.decl.end;
      if (!inRange(end)) continue;
      const notSent = f.condition === undefined && f.since !== undefined && f.since > b.version;
      if (notSent) continue;
      const conditional = f.condition !== undefined && f.staticCondition === undefined;
      const at = f.offset && isStatic(f.offset) ? `@${f.offset.constant}` : '@?';
      out.push({
        offset: end,
        label: ` ${at} ${short(f.size)}${conditional ? ' if' : ''}`,
        tooltip: `offset ${f.offset ? formatSize(f.offset) : '?'}, size ${f.size ? formatSize(f.size) : '?'}${conditional ? ', sent only when its test holds' : ''}`,
      });
    }
    for (const s of b.subsections) {
      if (inRange(s.nameRange.end) && s.body.totalSize) {
        out.push({ offset: s.nameRange.end, label: ` ${short(s.body.totalSize)}`, tooltip: `wire size when sent, header included: ${formatSize(s.body.totalSize)}` });
      }
      body(s.body);
    }
  };
  for (const d of analysis.descriptions) {
    if (d.uri !== uri || !d.body) continue;
    if (inRange(d.nameRange.end) && d.body.totalSize) {
      out.push({ offset: d.nameRange.end, label: ` ${short(d.body.totalSize)}`, tooltip: `wire size of the fields at version ${d.body.version}: ${formatSize(d.body.totalSize)}` });
    }
    body(d.body);
  }
  return out.sort((a, b) => a.offset - b.offset);
}
