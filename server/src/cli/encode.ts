import * as fs from 'node:fs';
import { DecodeError, EncodeError } from '../codec/bytes';
import { writeCfSection } from '../codec/cf';
import { findDescription, previewSection } from '../codec/preview';
import { BuiltValue, defaultValue, machineOptions, parseJson, ValueError, valueFromJson, ValueOptions } from '../codec/values';
import { encode } from '../codec/vmstate';
import { BodyModel } from '../semantic/model';
import { loadDescriptions } from './inputs';
import type { Io } from './main';
import { writeFileAtomic } from '../host/atomic';

export interface EncodeOptions {
  descriptions: string[];
  description: string;
  version?: string;
  machine?: string;
  value?: string;
  defaults?: boolean;
  format: 'qemu' | 'cbor';
  output?: string;
  hex?: boolean;
  opaque?: string[];
}

/**
 * `vmsd encode`: one description's state as bytes — the vmstate body QEMU 7.2 writes
 * for the section (fields, then the subsections sent; no section header, footer or
 * stream around it), or the section item of a self-describing stream — from a value in
 * the JSON form `vmsd decode --format json` prints, or from the defaults.
 *
 * Exit codes: 0 written; 1 the value is rejected (bad JSON, a bad or unknown field, a
 * value that cannot be encoded), with its path and what was expected; 2 usage or I/O
 * (unreadable files, descriptions with errors, unknown description, version or machine type).
 */
export function runEncode(opts: EncodeOptions, io: Io): number {
  if (!!opts.value === !!opts.defaults) {
    io.err('vmsd: give either --value FILE.json or --defaults\n');
    return 2;
  }
  const analysis = loadDescriptions(opts.descriptions, io);
  if (!analysis) return 2;
  let body: BodyModel;
  let vopts: ValueOptions;
  const opaque: Record<string, boolean> = {};
  try {
    body = findDescription(analysis, opts.description);
    vopts = machineOptions(analysis, opts.machine);
  } catch (e) {
    if (!(e instanceof ValueError)) throw e;
    io.err(`vmsd: ${e.detail}${e.path === 'machine' && !analysis.machines.length ? ' (the descriptions define no machine type)' : ''}\n`);
    return 2;
  }
  for (const a of opts.opaque ?? []) {
    const m = /^(.+)=(true|false)$/.exec(a);
    if (!m) {
      io.err(`vmsd: --opaque takes NAME=true or NAME=false (a field or subsection name or path), not \`${a}\`\n`);
      return 2;
    }
    opaque[m[1]] = m[2] === 'true';
  }
  let version: number | undefined;
  if (opts.version !== undefined) {
    if (!/^\d+$/.test(opts.version)) {
      io.err(`vmsd: --version takes a number, not \`${opts.version}\`\n`);
      return 2;
    }
    version = Number(opts.version);
  }

  let built: BuiltValue;
  let bytes: Uint8Array;
  try {
    let json: unknown;
    if (opts.value !== undefined) {
      let text: string;
      try {
        text = fs.readFileSync(opts.value, 'utf8');
      } catch (e) {
        io.err(`vmsd: ${opts.value}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
        return 2;
      }
      const picked = pick(parseJson(text), body);
      json = picked.value;
      version ??= picked.version;
    }
    version ??= body.version;
    if (version < body.minimumVersion || version > body.version) {
      io.err(`vmsd: \`${body.owner.name}\` is written at versions ${body.minimumVersion} to ${body.version}, not ${version}\n`);
      return 2;
    }
    const o = { ...vopts, opaque };
    built = json === undefined ? defaultValue(body, version, o) : valueFromJson(json, body, version, o);
    const qemu = encode(body, built.value, version, built.codec);
    bytes = opts.format === 'cbor' ? writeCfSection(previewSection(body, built.value, version, qemu.length)) : qemu;
  } catch (e) {
    if (!(e instanceof EncodeError) && !(e instanceof DecodeError)) throw e;
    io.err(`vmsd: ${opts.value ?? opts.description}: ${e.message}\n`);
    return 1;
  }

  if (built.defaulted.length) io.err(`vmsd: note: not in the value, so taken from the defaults: ${built.defaulted.join(', ')}\n`);
  for (const p of built.presence) if (p.reason === 'opaque' && !/answered|the value (has|does not have) it/.test(p.detail)) io.err(`vmsd: note: ${p.path}: ${p.detail} (decide with --opaque ${p.path}=true)\n`);

  if (opts.output !== undefined) {
    try {
      writeFileAtomic(opts.output, bytes);
    } catch (e) {
      io.err(`vmsd: ${opts.output}: ${(e as Error).message}\n`);
      return 2;
    }
  } else if (opts.hex || io.outIsTty || !io.outBytes) io.out(hexDump(bytes));
  else io.outBytes(bytes);
  return 0;
}

/**
 * The value in a JSON file: a value `{fields, subsections}`; a section of `vmsd decode
 * --format json` (`{idstr, version, value, …}`, whose version is the default); or the
 * whole output, from which the one section of this description is taken.
 */
function pick(j: unknown, body: BodyModel): { value: unknown; version?: number } {
  if (!j || typeof j !== 'object' || Array.isArray(j)) return { value: j };
  const o = j as Record<string, unknown>;
  const sectionOf = (s: Record<string, unknown>) => ({ value: s.value, version: typeof s.version === 'number' ? s.version : undefined });
  if (Array.isArray(o.sections)) {
    const mine = (o.sections as Array<Record<string, unknown>>).filter((s) => s && typeof s.idstr === 'string' && s.value !== undefined && s.idstr.slice(s.idstr.lastIndexOf('/') + 1) === body.wireName);
    if (mine.length === 1) return sectionOf(mine[0]);
    if (mine.length === 0) throw new ValueError('sections', `expected a section of \`${body.wireName}\` in the decoded stream, found none`);
    throw new ValueError('sections', `expected one section of \`${body.wireName}\`, found ${mine.length} (instances ${mine.map((s) => String(s.instance)).join(', ')}); put the one to encode in a file of its own`);
  }
  if (o.value !== undefined && !('fields' in o)) return sectionOf(o);
  return { value: j };
}

/** `hexdump -C` style: offset, 16 bytes in two groups of 8, printable ASCII. */
export function hexDump(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 16) {
    const row = b.subarray(i, i + 16);
    const hexs = [...row].map((x) => x.toString(16).padStart(2, '0'));
    const left = hexs.slice(0, 8).join(' ');
    const right = hexs.slice(8).join(' ');
    const ascii = [...row].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    out += `${i.toString(16).padStart(8, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|\n`;
  }
  return out + `${b.length.toString(16).padStart(8, '0')}\n`;
}
