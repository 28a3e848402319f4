import * as fs from 'node:fs';

/**
 * Migration stream files, for the CLI and the language server alike. Streams are read
 * whole; beyond MAX_STREAM_BYTES they are refused with a clear message rather than
 * failing inside Node's buffer allocation.
 */
export const MAX_STREAM_BYTES = 1024 * 1024 * 1024;

/** A stream file's identity (path, size, modification time), or why it cannot be read. */
export function statStream(file: string): { identity: string; size: number } | { error: string } {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return { error: 'not a file' };
    if (st.size > MAX_STREAM_BYTES) return { error: `${st.size} bytes is more than the ${MAX_STREAM_BYTES}-byte limit` };
    return { identity: `${file}\u0000${st.size}\u0000${st.mtimeMs}`, size: st.size };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message };
  }
}

/** A stream file's bytes, or why they cannot be read. */
export function readStreamFile(file: string): { bytes: Uint8Array } | { error: string } {
  const st = statStream(file);
  if ('error' in st) return st;
  try {
    return { bytes: new Uint8Array(fs.readFileSync(file)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
