import { Diagnostic } from '../../server/src/diagnostics/diagnostic';
import { Workspace } from '../../server/src/semantic/workspace';
import { parseMarkers } from './markers';

/**
 * Multi-file fixtures: `//- file: NAME` lines split the text into files (default
 * `main.vmsd`); markers are stripped per file and returned with their file.
 */
export interface FixtureFile {
  name: string;
  uri: string;
  text: string;
  cursors: number[];
  ranges: Array<{ start: number; end: number }>;
}

export const FIXTURE_ROOT = 'file:///fixture/';

export function splitFixture(source: string): FixtureFile[] {
  const parts: Array<{ name: string; body: string }> = [];
  let current: { name: string; lines: string[] } = { name: 'main.vmsd', lines: [] };
  const out: Array<{ name: string; lines: string[] }> = [current];
  for (const line of source.split('\n')) {
    const m = /^\/\/- file: (\S+)\s*$/.exec(line);
    if (m) {
      current = { name: m[1], lines: [] };
      out.push(current);
    } else current.lines.push(line);
  }
  for (const p of out) {
    if (p === out[0] && out.length > 1 && p.lines.every((l) => l.trim() === '' || l.startsWith('//'))) continue;
    parts.push({ name: p.name, body: p.lines.join('\n') });
  }
  return parts.map((p) => {
    const m = parseMarkers(p.body);
    return { name: p.name, uri: FIXTURE_ROOT + p.name, text: m.text, cursors: m.cursors, ranges: m.ranges };
  });
}

export function workspaceOf(files: Array<{ uri: string; text: string }>): Workspace {
  const ws = new Workspace();
  for (const f of files) ws.set(f.uri, f.text);
  return ws;
}

/** One-file analysis: diagnostics of `main.vmsd`. */
export function diagnosticsOf(text: string): Diagnostic[] {
  const ws = workspaceOf([{ uri: FIXTURE_ROOT + 'main.vmsd', text }]);
  return ws.diagnostics(FIXTURE_ROOT + 'main.vmsd');
}

export function codes(ds: Diagnostic[]): string[] {
  return ds.map((d) => d.code);
}
