import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { DumpShapeError, staticCheck } from '../compat/static-checker';
import type { Io } from './main';

export interface CheckDumpsOptions {
  reverse?: boolean;
  format: 'static-checker';
}

/**
 * `vmsd check-dumps SRC DEST [--reverse] [--format static-checker]`: compare two
 * `-dump-vmstate` files. `static-checker` (the only format so far) prints what QEMU's
 * scripts/vmstate-static-checker.py prints, on stdout, and exits with its status: the
 * number of errors, capped at 255. Our own compatibility rules come later, as another
 * format. Unreadable files, invalid JSON and JSON that is not a dump exit 2.
 */
export function runCheckDumps(srcFile: string, destFile: string, opts: CheckDumpsOptions, io: Io): number {
  const src = readDump(srcFile, io);
  if (src === undefined) return 2;
  const dest = readDump(destFile, io);
  if (dest === undefined) return 2;
  const [from, to, fromFile, toFile] = opts.reverse ? [dest.value, src.value, destFile, srcFile] : [src.value, dest.value, srcFile, destFile];
  try {
    const r = staticCheck(from, to);
    io.out(r.text);
    return r.errors;
  } catch (e) {
    if (!(e instanceof DumpShapeError)) throw e;
    // What the script had printed before it would have stopped.
    io.out(e.partial.text);
    io.err(`vmsd: ${e.side === 'src' ? fromFile : toFile}: ${e.message}\n`);
    return 2;
  }
}

/** A dump file's JSON (gzip-compressed files are accepted too); undefined after saying why. */
export function readDump(file: string, io: Io): { value: unknown } | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
  } catch (e) {
    io.err(`vmsd: ${file}: ${reason(e)}\n`);
    return undefined;
  }
  try {
    return { value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch (e) {
    io.err(`vmsd: ${file}: invalid JSON: ${reason(e)}\n`);
    return undefined;
  }
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EISDIR') return 'is a folder, not a file';
  if (err.code === 'EACCES') return 'permission denied';
  return err.message ?? String(e);
}
