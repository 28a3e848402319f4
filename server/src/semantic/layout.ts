import { BodyModel, DescriptionSym, FieldModel } from './model';
import { addSize, constSize, repeatSize, Size, symbolicSize, unknownSize, withConditional } from './size';
import { FieldType, SCALARS, WireType } from './types';

/**
 * Wire layout of every field at its description's current version: its size (exact, or
 * symbolic such as `42 × num_timers`) and its offset from the start of the body's data
 * (fixed while all earlier fields are). Subsections follow the fields; each adds its
 * header (0x05, name length, name, be32 version) and body when it is sent.
 */
export function computeLayouts(descriptions: DescriptionSym[]): void {
  /** Per description: its size at its own version (which also records the field layouts), and at explicit `@ v` versions. */
  const own = new Map<DescriptionSym, Size>();
  const atVersion = new Map<DescriptionSym, Map<number, Size>>();
  const active = new Set<DescriptionSym>();

  const structSize = (d: DescriptionSym, version: number | undefined): Size => {
    if (!d.body) return unknownSize(d.name);
    const cached = version === undefined ? own.get(d) : atVersion.get(d)?.get(version);
    if (cached) return cached;
    if (active.has(d)) return unknownSize(`recursive ${d.name}`);
    active.add(d);
    const s = bodyTotal(d.body, version ?? d.body.version, version === undefined);
    active.delete(d);
    if (version === undefined) own.set(d, s);
    else {
      let m = atVersion.get(d);
      if (!m) atVersion.set(d, (m = new Map()));
      m.set(version, s);
    }
    return s;
  };

  const elementSize = (t: WireType): Size => {
    switch (t.kind) {
      case 'scalar':
        return constSize(SCALARS[t.name].size);
      case 'enum':
        return constSize(SCALARS[t.enum.base].size);
      case 'struct':
        return structSize(t.description, t.version);
      case 'tmp':
        return structSize(t.description, undefined);
      case 'bytes':
        return constSize(1);
      case 'bitmap':
        return constSize(0); // handled per field: sized by bits
      case 'opaque':
        return unknownSize(`opaque ${JSON.stringify(t.info)}`);
      case 'list':
        return unknownSize(`${t.flavor}<…>`);
      case 'tree':
        return unknownSize('tree<…>');
      case 'error':
        return unknownSize('?');
    }
  };

  const fieldSize = (f: FieldModel): Size => {
    const t: FieldType = f.type;
    const c = t.count;
    const el = t.element;
    if (el.kind === 'bitmap') {
      if (!c || c.kind === 'unknown') return unknownSize('bitmap');
      if (c.kind === 'fixed') return constSize(Math.ceil(c.value / 64) * 8);
      const sym = c.kind === 'field' ? c.field.name ?? '?' : `property(${c.property.owner.name}.${c.property.name})`;
      return symbolicSize(`⌈${c.factor === 1 ? sym : `${c.factor} × ${sym}`} / 64⌉`, 8);
    }
    if (el.kind === 'opaque' && c) {
      // `opaque "info" [n]`: n is the size in bytes.
      if (c.kind === 'fixed') return constSize(c.value);
      if (c.kind === 'unknown') return unknownSize(`opaque ${JSON.stringify(el.info)}`);
      return symbolicSize(c.kind === 'field' ? c.field.name ?? '?' : `property(${c.property.owner.name}.${c.property.name})`, c.factor);
    }
    const one = elementSize(el);
    if (!c) return one;
    let s: Size;
    if (c.kind === 'fixed') s = repeatSize(one, { value: c.value });
    else if (c.kind === 'unknown') s = unknownSize('array of unknown length');
    else s = repeatSize(one, { symbol: c.kind === 'field' ? c.field.name ?? '?' : `property(${c.property.owner.name}.${c.property.name})`, factor: c.factor });
    if (t.nullable) s = withConditional(s, `NULL elements of ${f.name} are 1 byte`);
    return s;
  };

  /** Fields at `version`, then subsections (conditional). Sets per-field layout when `record`. */
  const bodyTotal = (body: BodyModel, version: number, record: boolean): Size => {
    let offset = constSize(0);
    for (const f of body.fields) {
      // A test decides alone (QEMU ignores the version then); its value may be known here.
      // A value computed from `version` holds at that version only (`Desc @ 1` differs).
      const known = f.staticAtVersion === undefined || f.staticAtVersion === version ? f.staticCondition : undefined;
      const exists = f.condition !== undefined ? known !== false : f.since === undefined || f.since <= version;
      const conditional = f.condition !== undefined && known === undefined;
      const size = fieldSize(f);
      if (record) {
        f.size = size;
        f.offset = offset;
      }
      if (!exists) continue;
      // A field sent only when its `if` holds makes every later offset conditional.
      offset = conditional ? withConditional(offset, `${f.name ?? 'unused'} when its \`if\` holds`) : addSize(offset, size);
    }
    if (record) body.fieldsSize = offset;
    let total = offset;
    for (const s of body.subsections) {
      const inner = bodyTotal(s.body, s.body.version, record);
      const header = 1 + 1 + utf8Length(s.body.wireName) + 4;
      const whole = addSize(constSize(header), inner);
      if (s.staticNeeded === true) total = addSize(total, whole);
      else if (s.staticNeeded === undefined) total = withConditional(total, `subsection ${s.body.wireName}`);
      if (record) s.body.totalSize = whole;
    }
    if (record) body.totalSize = total;
    return total;
  };

  // Embedded descriptions first (post-order of an iterative walk), so that a long chain
  // of embeddings never recurses deeply: each struct's size is cached before it is used.
  for (const d of embeddingOrder(descriptions)) structSize(d, undefined);
}

function embeddingOrder(descriptions: DescriptionSym[]): DescriptionSym[] {
  const children = (d: DescriptionSym): DescriptionSym[] => {
    const out: DescriptionSym[] = [];
    const bodies: BodyModel[] = d.body ? [d.body] : [];
    while (bodies.length) {
      const b = bodies.pop()!;
      for (const f of b.fields) {
        const e = f.type.element;
        if (e.kind === 'struct' || e.kind === 'tmp') out.push(e.description);
      }
      for (const s of b.subsections) bodies.push(s.body);
    }
    return out;
  };
  const order: DescriptionSym[] = [];
  const seen = new Set<DescriptionSym>();
  for (const root of descriptions) {
    if (seen.has(root)) continue;
    seen.add(root);
    const stack: Array<{ d: DescriptionSym; kids: DescriptionSym[]; i: number }> = [{ d: root, kids: children(root), i: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.i >= top.kids.length) {
        order.push(top.d);
        stack.pop();
        continue;
      }
      const k = top.kids[top.i++];
      if (!seen.has(k)) {
        seen.add(k);
        stack.push({ d: k, kids: children(k), i: 0 });
      }
    }
  }
  return order;
}

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
