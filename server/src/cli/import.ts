import * as fs from 'node:fs';
import * as path from 'node:path';
import { DecodeError } from '../codec/bytes';
import { isCf } from '../codec/cf-magic';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cf = () => require('../codec/cf') as typeof import('../codec/cf');
import { decodeStream, findVmdesc, sectionDescriptions, Stream } from '../codec/stream';
import { loadWorkspace } from '../host/files';
import { importVmdesc } from '../interop/vmdesc-import';
import { readStream } from './inputs';
import type { Io } from './main';

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

  // Never overwrite: the user may have edited an earlier import.
  const targets = result.files.map((f) => ({ ...f, path: path.join(opts.output, f.name) }));
  const existing = targets.filter((t) => fs.existsSync(t.path));
  if (existing.length && !opts.force) {
    io.err(`vmsd: ${existing.map((t) => t.path).join(', ')} already exist${existing.length === 1 ? 's' : ''}; use --force to replace\n`);
    return 2;
  }
  try {
    fs.mkdirSync(opts.output, { recursive: true });
    for (const t of targets) {
      const tmp = `${t.path}.vmsd-tmp-${process.pid}`;
      fs.writeFileSync(tmp, t.text);
      fs.renameSync(tmp, t.path);
    }
  } catch (e) {
    io.err(`vmsd: ${opts.output}: ${(e as Error).message}\n`);
    return 2;
  }
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
