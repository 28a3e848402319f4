import * as fs from 'node:fs';

/**
 * QEMU `-dump-vmstate` files, for every command that reads one (`vmsd check-dumps`,
 * `vmsd import qemu-dump`, `vmsd check --baseline DUMP`): plain or gzip-compressed JSON.
 */

/**
 * Dumps are data, not text to edit: four times the limit of a .vmsd file (host/files.ts,
 * not imported: it loads the analyzer), but still bounded, compressed or not.
 */
export const MAX_DUMP_BYTES = 256 * 1024 * 1024;

/**
 * A dump file's parsed JSON, or why it cannot be read: `no such file`, `is a folder, not
 * a file`, `permission denied`, too large, not valid gzip, `invalid JSON: …`. The JSON is
 * not checked to be a dump; each reader checks the shape it needs.
 */
export function readDump(file: string): { value: unknown } | { error: string } {
  let bytes: Buffer;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) return { error: 'is a folder, not a file' };
    if (st.size > MAX_DUMP_BYTES) return { error: `file is ${st.size} bytes; dumps over ${MAX_DUMP_BYTES} bytes are refused` };
    bytes = fs.readFileSync(file);
  } catch (e) {
    return { error: reason(e) };
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzip()(bytes, { maxOutputLength: MAX_DUMP_BYTES });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return { error: err.code === 'ERR_BUFFER_TOO_LARGE' ? `uncompressed, more than ${MAX_DUMP_BYTES} bytes; refused` : `not valid gzip: ${err.message}` };
    }
  }
  try {
    return { value: JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, '')) as unknown };
  } catch (e) {
    return { error: `invalid JSON: ${(e as Error).message}` };
  }
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EISDIR') return 'is a folder, not a file';
  if (err.code === 'EACCES') return 'permission denied';
  return err.message ?? String(e);
}

/** zlib is loaded only for a compressed dump: it costs a short `check-dumps` run 6 ms. */
function gunzip(): typeof import('node:zlib').gunzipSync {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:zlib') as typeof import('node:zlib')).gunzipSync;
}
