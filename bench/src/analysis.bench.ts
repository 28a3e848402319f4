import { Workspace } from '../../server/src/semantic/workspace';
import { generateWorkspace, lineCount } from './generate';

/**
 * Parse + full semantic analysis of generated workspaces (npm run bench). Prints a table;
 * the target on a 2-core machine is 20k lines in under 100 ms, growing linearly.
 */
function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const rows: string[][] = [['lines', 'files', 'descriptions', 'diagnostics', 'median ms', 'min ms', 'ms / 10k lines', 'heap used MB']];
for (const target of [5_000, 10_000, 20_000, 40_000]) {
  const files = generateWorkspace(target);
  const times: number[] = [];
  let heap = 0;
  let descriptions = 0;
  let diagnostics = 0;
  for (let run = 0; run < 12; run++) {
    gc();
    const ws = new Workspace();
    const t0 = performance.now();
    for (const f of files) ws.set(f.uri, f.text);
    const a = ws.analysis();
    const t1 = performance.now();
    if (run >= 2) times.push(t1 - t0); // first runs warm the JIT
    descriptions = a.descriptions.length;
    diagnostics = [...a.diagnostics.values()].reduce((n, d) => n + d.filter((x) => x.severity !== 'hint').length, 0);
    heap = Math.max(heap, process.memoryUsage().heapUsed);
  }
  const lines = lineCount(files);
  const med = median(times);
  rows.push([
    String(lines), String(files.length), String(descriptions), String(diagnostics),
    med.toFixed(1), Math.min(...times).toFixed(1), ((med / lines) * 10_000).toFixed(1), (heap / 1048576).toFixed(1),
  ]);
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const fmt = (r: string[]) => '| ' + r.map((c, i) => c.padStart(widths[i])).join(' | ') + ' |';
console.log('Parse + semantic analysis of a generated workspace (Node ' + process.version + ')');
console.log(fmt(rows[0]));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of rows.slice(1)) console.log(fmt(r));
