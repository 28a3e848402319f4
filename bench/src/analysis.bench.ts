import { analyze } from '../../server/src/semantic/analyzer';
import { parse, SyntaxTree } from '../../server/src/syntax/parser';
import { generateWorkspace, lineCount } from './generate';

/**
 * Parse + full semantic analysis of generated workspaces (npm run bench). Prints a table;
 * the target on a 2-core machine is 20k lines in under 100 ms, growing linearly. The
 * machine is shared and noisy: the table gives the median and the best of 20 runs.
 */
function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const RUNS = 20;

/** Parse and analyse; the results stay reachable from `held` until released. */
export let held: unknown;
function parseAndAnalyse(files: Array<{ uri: string; text: string }>): void {
  const trees = new Map<string, SyntaxTree>();
  for (const f of files) trees.set(f.uri, parse(f.text));
  held = [trees, analyze(trees)];
}

/** Heap kept by one parse + analysis, between full collections. */
function heapKept(files: Array<{ uri: string; text: string }>): number {
  held = undefined;
  gc();
  const before = process.memoryUsage().heapUsed;
  parseAndAnalyse(files);
  gc();
  const after = process.memoryUsage().heapUsed;
  held = undefined;
  return after - before;
}
const rows: string[][] = [
  ['lines', 'files', 'descriptions', 'parse ms', 'analysis ms', 'total median ms', 'total best ms', 'median ms / 10k lines', 'heap kept MB'],
];
for (const target of [5_000, 10_000, 20_000, 40_000]) {
  const files = generateWorkspace(target);
  const parseTimes: number[] = [];
  const analysisTimes: number[] = [];
  const totals: number[] = [];
  let heap = 0;
  let descriptions = 0;
  gc();
  for (let run = 0; run < RUNS + 3; run++) {
    // No forced GC between runs: a long-lived server does not get one either, and a full
    // collection before each run shrinks the young generation, which the next run pays for.
    const t0 = performance.now();
    const trees = new Map<string, SyntaxTree>();
    for (const f of files) trees.set(f.uri, parse(f.text));
    const t1 = performance.now();
    const a = analyze(trees);
    const t2 = performance.now();
    if (run >= 3) {
      // the first runs warm the JIT up
      parseTimes.push(t1 - t0);
      analysisTimes.push(t2 - t1);
      totals.push(t2 - t0);
    }
    descriptions = a.descriptions.length;
    const errors = [...a.diagnostics.values()].flat().filter((d) => d.severity === 'error' || d.severity === 'warning');
    if (errors.length) throw new Error(`generated workspace has findings: ${errors[0].message}`);
  }
  heap = heapKept(files);
  const lines = lineCount(files);
  rows.push([
    String(lines), String(files.length), String(descriptions),
    median(parseTimes).toFixed(1), median(analysisTimes).toFixed(1),
    median(totals).toFixed(1), Math.min(...totals).toFixed(1),
    ((median(totals) / lines) * 10_000).toFixed(1), (heap / 1048576).toFixed(1),
  ]);
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const fmt = (r: string[]) => '| ' + r.map((c, i) => c.padStart(widths[i])).join(' | ') + ' |';
console.log(`Parse + semantic analysis of generated workspaces (Node ${process.version}, ${RUNS} runs each)`);
console.log(fmt(rows[0]));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of rows.slice(1)) console.log(fmt(r));
