/**
 * The shape of a QEMU `-dump-vmstate` file (qemu-wire.md §10) and its validation: what
 * the importer and `vmsd check-dumps` both read. Kept apart from the importer, which
 * also writes .vmsd text, so that comparing two dumps loads neither the formatter nor
 * the parser.
 */
export interface DumpDescription {
  name: string;
  version_id: number;
  minimum_version_id: number;
  Fields?: DumpField[];
  Subsections?: DumpDescription[];
}

export interface DumpField {
  field: string;
  version_id: number;
  field_exists: boolean;
  size: number;
  /** QEMU 8.1 and newer, for VMS_ARRAY fields only. */
  num?: number;
  Description?: DumpDescription;
}

export interface DumpEntry {
  Name: string;
  version_id: number;
  minimum_version_id: number;
  Description: DumpDescription;
}

export interface QemuDump {
  machine?: string;
  /** Class name → entry, in the dump's order. */
  classes: Array<[string, DumpEntry]>;
}

/** The JSON is not a `-dump-vmstate` file; the message says where. */
export class DumpFormatError extends Error {
  constructor(where: string, problem: string) {
    super(`not a -dump-vmstate file: ${where}: ${problem}`);
    this.name = 'DumpFormatError';
  }
}

/** Deepest nesting followed (QEMU's own trees are a few levels deep). */
const MAX_DEPTH = 64;
const MACHINE_KEY = 'vmschkmachine';

/** Checks the shape of a parsed dump; throws DumpFormatError naming the first problem. */
export function validDump(json: unknown): QemuDump {
  if (!isObject(json)) throw new DumpFormatError('the file', 'a JSON object of device classes was expected');
  const classes: Array<[string, DumpEntry]> = [];
  let machine: string | undefined;
  for (const [key, value] of Object.entries(json)) {
    if (key === MACHINE_KEY) {
      if (isObject(value) && typeof value.Name === 'string') machine = value.Name;
      continue;
    }
    const where = JSON.stringify(key);
    if (!isObject(value)) throw new DumpFormatError(where, 'an object was expected');
    if (typeof value.Name !== 'string') throw new DumpFormatError(where, 'no "Name"');
    for (const k of ['version_id', 'minimum_version_id']) if (!isInt(value[k])) throw new DumpFormatError(where, `no "${k}"`);
    validDescription(value.Description, `${where}.Description`, 0);
    classes.push([key, value as unknown as DumpEntry]);
  }
  if (!classes.length) throw new DumpFormatError('the file', 'it lists no device classes');
  return { machine, classes };
}

function validDescription(d: unknown, where: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new DumpFormatError(where, `nested deeper than ${MAX_DEPTH}`);
  if (!isObject(d)) throw new DumpFormatError(where, 'a description object was expected');
  if (typeof d.name !== 'string' || !d.name) throw new DumpFormatError(where, 'no "name"');
  for (const k of ['version_id', 'minimum_version_id']) if (!isInt(d[k])) throw new DumpFormatError(where, `no "${k}"`);
  if (d.Fields !== undefined) {
    if (!Array.isArray(d.Fields)) throw new DumpFormatError(where, '"Fields" is not a list');
    d.Fields.forEach((f: unknown, i) => {
      const at = `${where}.Fields[${i}]`;
      if (!isObject(f) || typeof f.field !== 'string') throw new DumpFormatError(at, 'a field with a "field" name was expected');
      if (!isInt(f.version_id) || !isInt(f.size) || typeof f.field_exists !== 'boolean') throw new DumpFormatError(at, '"version_id", "size" and "field_exists" are required');
      if (f.num !== undefined && !isInt(f.num)) throw new DumpFormatError(at, '"num" is not a number');
      if (f.Description !== undefined) validDescription(f.Description, `${at}.Description`, depth + 1);
    });
  }
  if (d.Subsections !== undefined) {
    if (!Array.isArray(d.Subsections)) throw new DumpFormatError(where, '"Subsections" is not a list');
    d.Subsections.forEach((s: unknown, i) => validDescription(s, `${where}.Subsections[${i}]`, depth + 1));
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
