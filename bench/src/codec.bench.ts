import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { readCf, writeCf } from '../../server/src/codec/cf';
import { decodeStream, encodeStream, RamRecord, sectionDescriptions, StreamOptions } from '../../server/src/codec/stream';
import { loadWorkspace } from '../../server/src/host/files';

/**
 * Codec throughput (npm run bench): the device-heavy real fixture, and a RAM-heavy stream
 * made from the real pc-7.2 stream with 64 MiB of data pages (random bytes) in its RAM
 * part. Targets on a 2-core machine: ≥ 1 GB/s walking RAM pages, ≥ 200 MB/s CBOR
 * transcode. Medians of 9 runs after 2 warm-ups.
 */
const root = path.join(__dirname, '..', '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'qemu');
const analysis = loadWorkspace([path.join(root, 'examples')]).workspace.analysis();
const withExamples: StreamOptions = { analysis, descriptions: sectionDescriptions(analysis) };

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(f: () => void): number {
  const ts: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t0 = performance.now();
    f();
    if (i >= 2) ts.push(performance.now() - t0);
  }
  return median(ts);
}

function ramHeavy(): Uint8Array {
  const base = new Uint8Array(fs.readFileSync(path.join(fixtures, 'pc-7.2.mig')));
  const s = decodeStream(base, withExamples);
  const part = s.sections.find((x) => x.type === 'part' && x.ramRecords)!;
  const block = part.ramRecords!.find((r) => r.block !== undefined)!.block!;
  const pages: RamRecord[] = [];
  let seed = 1;
  for (let i = 0; i < 16384; i++) {
    const data = new Uint8Array(4096);
    for (let j = 0; j < 4096; j += 4) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[j] = seed >>> 24;
    }
    // Pages of the 32 MiB pc.ram, twice over: QEMU sends a dirtied page again.
    pages.push({ addr: BigInt((i % 8192) * 4096), flags: i === 0 ? 0x08 : 0x28, ...(i === 0 ? { block } : {}), data });
  }
  part.ramRecords = pages;
  return encodeStream(s, withExamples);
}

const valuesOnly: StreamOptions = { ...withExamples, annotate: false };
const rows: string[][] = [['stream', 'MB', 'decode MB/s', '+ annotations MB/s', 'layout only MB/s', 'encode MB/s', 'QEMU → CBOR MB/s', 'CBOR → QEMU MB/s', 'CBOR MB']];
const streams: Array<[string, Uint8Array]> = [
  ['pc-7.2-devices.mig (real; 16 sections by the examples)', new Uint8Array(fs.readFileSync(path.join(fixtures, 'pc-7.2-devices.mig')))],
  ['pc-7.2-many.mig (real, device-heavy: 16 vCPUs, 12 NICs)', new Uint8Array(zlib.gunzipSync(fs.readFileSync(path.join(fixtures, 'pc-7.2-many.mig.gz'))))],
  ['RAM-heavy (64 MiB of data pages)', ramHeavy()],
];
for (const [name, bytes] of streams) {
  const mb = bytes.length / 1e6;
  const s = decodeStream(bytes, withExamples);
  const cbor = writeCf(s);
  const again = encodeStream(readCf(cbor), withExamples);
  if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) !== 0) throw new Error(`${name}: the CBOR round trip changed the stream`);
  // Values only, as `decode --format text|json` and `transcode` decode; annotations as
  // previews and `--format annotated` do; layout only (RAM pages walked, not kept).
  const dec = time(() => decodeStream(bytes, valuesOnly));
  const annotated = time(() => decodeStream(bytes, withExamples));
  const layout = time(() => decodeStream(bytes, { ...valuesOnly, shallow: true }));
  const enc = time(() => encodeStream(s, withExamples));
  const toCbor = time(() => writeCf(decodeStream(bytes, valuesOnly)));
  const toQemu = time(() => encodeStream(readCf(cbor), withExamples));
  const rate = (ms: number) => (mb / (ms / 1000)).toFixed(0);
  rows.push([name, mb.toFixed(1), rate(dec), rate(annotated), rate(layout), rate(enc), rate(toCbor), rate(toQemu), (cbor.length / 1e6).toFixed(1)]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
process.stdout.write(['', 'Codec throughput (median of 9 runs; MB = 10^6 bytes of the QEMU stream)', line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), ''].join('\n') + '\n');
