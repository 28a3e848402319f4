import { findMachine } from '../codec/machine';
import { readDump } from '../host/dumps';
import { readStreamFile } from '../host/streams';
import type { Analysis } from '../semantic/analyzer';
// The analyzer is loaded only when there are descriptions to analyse.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const files = () => require('../host/files') as typeof import('../host/files');

/** The analysis of no description at all, without loading the analyzer (a short decode's startup). */
const NO_DESCRIPTIONS: Analysis = { files: new Map(), diagnostics: new Map(), references: new Map(), descriptions: [], enums: [], consts: [], devices: [], machines: [] };
import type { Io } from './main';

/** What the stream commands (decode, transcode, encode, import) read: streams and descriptions. */


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
  const r = readStreamFile(file);
  if ('bytes' in r) return r.bytes;
  io.err(`vmsd: ${file}: ${r.error}\n`);
  return undefined;
}

/** A `-dump-vmstate` file's JSON (gzip accepted), not yet checked to be a dump; undefined after saying why. */
export function readDumpJson(file: string, io: Io): { value: unknown } | undefined {
  const r = readDump(file);
  if ('value' in r) return r;
  io.err(`vmsd: ${file}: ${r.error}\n`);
  return undefined;
}
