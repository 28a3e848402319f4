import * as fc from 'fast-check';

/**
 * Generators of valid .vmsd sources with random layout (spaces, newlines, blank lines)
 * and comments in the places the grammar allows them, for formatter properties.
 */
const ident = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((s) => !RESERVED.has(s));
const RESERVED = new Set([
  'true', 'false', 'version', 'property', 'since', 'if', 'equal', 'le', 'default', 'alias', 'name', 'needed', 'reserved',
  'unused', 'subsection', 'minimum_version', 'include', 'const', 'enum', 'vmstate', 'device', 'machine', 'state',
  'bytes', 'bitmap', 'opaque', 'list', 'qlist', 'tree', 'tmp',
]);
const ws = fc.constantFrom(' ', '  ', '\t', ' ');
const nl = fc.constantFrom('\n', '\n\n', '\n    ', '\n\n\n  ');
const comment = fc.constantFrom('// note', '/* block */', '// TODO: check', '/// doc line');
const scalar = fc.constantFrom('u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64', 'bool', 'timer', 'f64');

const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('version', '1', '0x10', 'true', 'a', 'b', 'property(x-flag)'),
    fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '&', '|', '<<', '>>', '==', '!=', '<', '>=', '&&', '||'), tie('e')).map(([l, o, r]) => `(${l} ${o} ${r})`),
    tie('e').map((e) => `!(${e})`),
  ),
})).e;

const field = fc.tuple(ident, fc.oneof(scalar, scalar.map((s) => `${s}[4]`), fc.constant('bytes[16]'), fc.constant('opaque "pci config" [256]')), fc.option(fc.integer({ min: 0, max: 3 })), fc.option(expr), fc.option(comment), ws)
  .map(([n, t, since, cond, c, w]) => `${n}:${w}${t}${since !== null ? ` since ${since}` : ''}${cond !== null ? ` if (${cond})` : ''}${c ? ` ${c.startsWith('///') ? '// c' : c}` : ''}`);

const body = (depth: number): fc.Arbitrary<string> =>
  fc.tuple(
    fc.integer({ min: 0, max: 5 }),
    fc.array(fc.tuple(field, nl), { maxLength: 6 }),
    depth > 0 ? fc.array(fc.tuple(ident, fc.option(expr), nl), { maxLength: 2 }) : fc.constant([] as Array<[string, string | null, string]>),
  ).chain(([v, fields, subs]) =>
    (depth > 0 ? fc.tuple(...subs.map(() => body(depth - 1))) : fc.constant([] as string[])).map((subBodies) => {
      let s = `version ${v}\n`;
      for (const [f, n] of fields) s += f + n;
      subs.forEach(([name, cond, n], i) => {
        s += `subsection ${name}${cond !== null ? ` needed (${cond})` : ''} {${n}${subBodies[i]}}${n}`;
      });
      return s;
    }),
  );

export const source: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.tuple(ident, body(2), fc.option(comment), nl).map(([n, b, c, l]) => `${c ? c + '\n' : ''}vmstate ${n} {${l}${b}}${l}`),
      fc.tuple(ident, fc.array(ident, { minLength: 1, maxLength: 4 }), nl).map(([n, ms, l]) => `enum ${n}: u8 {${l}${[...new Set(ms)].join(',' + l)}${l}}${l}`),
      fc.tuple(ident, expr, nl).map(([n, e, l]) => `const ${n.toUpperCase()} = ${e}${l}`),
      fc.tuple(ident, ident, nl).map(([n, s, l]) => `device ${n} {${l}state ${s}${l}property x-flag: bool = true${l}}${l}`),
      fc.tuple(fc.integer({ min: 0, max: 9 }), nl).map(([v, l]) => `machine "pc-${v}.0" : "pc-${v + 1}.0" {${l}d.x-flag = false${l}}${l}`),
    ),
    { maxLength: 6 },
  )
  .map((items) => items.join(''));
