import * as fs from 'node:fs';
import { findMachine } from '../codec/machine';
import type { Analysis } from '../semantic/analyzer';
// The analyzer is loaded only when there are descriptions to analyse.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const files = () => require('../host/files') as typeof import('../host/files');

/** The analysis of no description at all, without loading the analyzer (a short decode's startup). */
const NO_DESCRIPTIONS: Analysis = { files: new Map(), diagnostics: new Map(), references: new Map(), descriptions: [], enums: [], consts: [], devices: [], machines: [] };
import type { Io } from './main';

/** What the stream commands (decode, transcode, encode, import) read: streams and descriptions. */

/**
 * Streams are read whole; beyond this they are refused with a clear message rather than
 * failing inside Node's buffer allocation (streaming decode is planned with RAM extraction).
 */
export const MAX_STREAM_BYTES = 1024 * 1024 * 1024;

/** The descriptions named with -d, or none; undefined (after saying why) when they are broken. */
export function loadDescriptions(paths: string[] | undefined, io: Io): Analysis | undefined {
  if (!paths?.length) return NO_DESCRIPTIONS;
  const loaded = files().loadWorkspace(paths);
  for (const p of loaded.problems) io.err(`vmsd: ${p.path}: ${p.message}\n`);
  if (loaded.problems.length) return undefined;
  const analysis = loaded.workspace.analysis();
  const errors = [...analysis.diagnostics.values()].flat().filter((d) => d.severity === 'error');
  if (errors.length) {
    io.err(`vmsd: the descriptions have ${errors.length} error${errors.length === 1 ? '' : 's'}; run \`vmsd check\` on them first\n`);
    return undefined;
  }
  return analysis;
}

/** --machine must name a machine type of the descriptions: its compat entries are the point. */
export function knownMachine(analysis: Analysis, machine: string | undefined, io: Io): boolean {
  if (machine === undefined || findMachine(analysis, machine)) return true;
  const known = analysis.machines.map((m) => m.name).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  io.err(`vmsd: the descriptions define no machine type \`${machine}\`${known.length ? ` (they define ${known.join(', ')})` : ''}\n`);
  return false;
}

export function readStream(file: string, io: Io): Uint8Array | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    if (st.size > MAX_STREAM_BYTES) throw new Error(`${st.size} bytes is more than the ${MAX_STREAM_BYTES}-byte limit`);
    return new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    io.err(`vmsd: ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
    return undefined;
  }
}
