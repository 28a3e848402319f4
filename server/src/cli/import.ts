import * as fs from 'node:fs';
import * as path from 'node:path';
import { DecodeError } from '../codec/bytes';
import { isCf } from '../codec/cf-magic';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cf = () => require('../codec/cf') as typeof import('../codec/cf');
import { decodeStream, findVmdesc, sectionDescriptions, Stream } from '../codec/stream';
import { loadWorkspace } from '../host/files';
import { runRuleSets } from '../checks/pipeline';
import type { ImportedFile } from '../interop/import-common';
import { importQemuDump } from '../interop/qemu-dump-import';
import { DumpFormatError, QemuDump, validDump } from '../interop/qemu-dump';
import { importVmdesc } from '../interop/vmdesc-import';
import { readDumpJson, readStream } from './inputs';
import type { Io } from './main';
import { writeFileAtomic } from '../host/atomic';

export interface ImportVmdescOptions {
  output: string;
  force?: boolean;
}

/**
 * `vmsd import vmdesc STREAM -o DIR`: descriptions from the stream's vmdesc, written to
 * DIR, then proved: the stream is decoded again with them alone, and every device
 * section must be decoded by a description (exit 1 naming those that are not).
 */
export function runImportVmdesc(file: string, opts: ImportVmdescOptions, io: Io): number {
  const bytes = readStream(file, io);
  if (!bytes) return 2;
  const none = loadWorkspace([]).workspace.analysis();
  if (!isCf(bytes) && !findVmdesc(bytes)) {
    io.err(`vmsd: ${file}: the stream carries no vmdesc (machine types before pc-i440fx-2.3 write none); import from a stream of the same configuration on a newer machine type\n`);
    return 1;
  }
  let stream: Stream;
  try {
    stream = isCf(bytes) ? cf().readCf(bytes) : decodeStream(bytes, { analysis: none, descriptions: new Map() });
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    io.err(`vmsd: ${file}: ${e.message}\n`);
    return 1;
  }
  if (!stream.vmdesc) {
    io.err(`vmsd: ${file}: the stream carries no vmdesc (machine types before pc-i440fx-2.3 write none); import from a stream of the same configuration on a newer machine type\n`);
    return 1;
  }
  const result = importVmdesc(stream.vmdesc, path.basename(file));

  const targets = writeImported(result.files, opts, io);
  if (!targets) return 2;
  for (const n of result.notes) io.err(`vmsd: note: ${n}\n`);

  // The proof: decode the stream with the imported descriptions only.
  const loaded = loadWorkspace(targets.map((t) => t.path));
  const analysis = loaded.workspace.analysis();
  const errors = [...analysis.diagnostics.entries()].flatMap(([uri, ds]) => ds.filter((d) => d.severity === 'error').map((d) => `${uri}: ${d.code} ${d.message}`));
  if (errors.length) {
    io.err(`vmsd: the imported descriptions have errors (a bug in the importer):\n${errors.slice(0, 10).join('\n')}\n`);
    return 1;
  }
  let again: Stream;
  try {
    again = isCf(bytes) ? cf().readCf(bytes) : decodeStream(bytes, { analysis, descriptions: sectionDescriptions(analysis) });
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    io.err(`vmsd: ${file}: the imported descriptions do not decode the stream: ${e.message}\n`);
    return 1;
  }
  const devices = again.sections.filter((s) => s.idstr !== undefined && s.idstr !== 'ram' && (s.type === 'full' || s.type === 'start') && !s.ram);
  const undecoded = isCf(bytes) ? [] : devices.filter((s) => !s.value || s.byVmdesc);
  if (undecoded.length) {
    io.err(`vmsd: ${file}: not decoded by the imported descriptions: ${undecoded.map((s) => s.idstr).join(', ')}\n`);
    return 1;
  }
  io.out(`wrote ${targets.length} file${targets.length === 1 ? '' : 's'} to ${opts.output}; they decode all ${devices.length} device sections of ${file}\n`);
  return 0;
}

/**
 * Writes an import to opts.output, never replacing a file without --force (the user may
 * have edited an earlier import), each file atomically. The files with their paths, or
 * undefined after saying why (exit 2).
 */
function writeImported(files: ImportedFile[], opts: { output: string; force?: boolean }, io: Io): Array<ImportedFile & { path: string }> | undefined {
  const targets = files.map((f) => ({ ...f, path: path.join(opts.output, f.name) }));
  const existing = targets.filter((t) => fs.existsSync(t.path));
  if (existing.length && !opts.force) {
    const shown = existing.slice(0, 3).map((t) => t.path).join(', ') + (existing.length > 3 ? ` and ${existing.length - 3} more` : '');
    io.err(`vmsd: ${shown} already exist${existing.length === 1 ? 's' : ''}; use --force to replace\n`);
    return undefined;
  }
  try {
    fs.mkdirSync(opts.output, { recursive: true });
    for (const t of targets) writeFileAtomic(t.path, t.text);
  } catch (e) {
    io.err(`vmsd: ${opts.output}: ${(e as Error).message}\n`);
    return undefined;
  }
  return targets;
}

export type ImportQemuDumpOptions = ImportVmdescOptions;

/**
 * `vmsd import qemu-dump DUMP -o DIR`: descriptions from a `-dump-vmstate` file (gzip
 * accepted), written to DIR, then loaded and checked as `vmsd check` does: errors are a
 * bug of the importer (exit 1); warnings are counted in the summary.
 */
export function runImportQemuDump(file: string, opts: ImportQemuDumpOptions, io: Io): number {
  const json = readDumpJson(file, io);
  if (json === undefined) return 2;
  let dump: QemuDump;
  try {
    dump = validDump(json.value);
  } catch (e) {
    if (!(e instanceof DumpFormatError)) throw e;
    io.err(`vmsd: ${file}: ${e.message}\n`);
    return 2;
  }
  const result = importQemuDump(dump, path.basename(file));
  const targets = writeImported(result.files, opts, io);
  if (!targets) return 2;
  for (const n of result.notes) io.err(`vmsd: note: ${n}\n`);

  const loaded = loadWorkspace(targets.map((t) => t.path));
  const analysis = loaded.workspace.analysis();
  const diags = runRuleSets(analysis, loaded.workspace.uris());
  const errors = diags.filter((d) => d.severity === 'error');
  const warnings = diags.filter((d) => d.severity === 'warning').length;
  if (errors.length || loaded.problems.length) {
    const lines = [...loaded.problems.map((p) => `${p.path}: ${p.message}`), ...errors.map((d) => `${d.uri}: ${d.code} ${d.message}`)];
    io.err(`vmsd: the imported descriptions have errors (a bug in the importer):\n${lines.slice(0, 10).join('\n')}\n`);
    return 1;
  }
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  io.out(
    `wrote ${plural(targets.length, 'file')} to ${opts.output}: ${plural(result.descriptions, 'description')}, ${plural(result.devices, 'device')}; ` +
      `vmsd check: 0 errors, ${plural(warnings, 'warning')}\n`,
  );
  return 0;
}
