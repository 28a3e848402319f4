import * as fs from 'node:fs';

/**
 * Write a whole file or nothing: into a temporary file beside it, renamed over it, the
 * temporary file removed when anything fails (the error is thrown on). For outputs the
 * user names (`transcode -o`, `encode -o`, imports); `vmsd fmt` has its own in-place
 * variant that follows symlinks and keeps modes.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.vmsd-tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
