// Draws media/icon.png, the extension's 128×128 icon: a device's state as fields in wire
// order (bars, one highlighted) leaving for another host (a chevron), on a rounded
// square. Shapes are signed distance functions, anti-aliased by 4×4 supersampling; the
// PNG is written by hand (zlib for the image data, a table CRC-32), no image library.
//
//   node scripts/make-icon.mjs [OUT]    (default media/icon.png)
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const SIZE = 128;
const SAMPLES = 4;

const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
const mix = (a, b, t) => a.map((x, i) => x + (b[i] - x) * t);

/** Distance to a rounded rectangle (negative inside). */
function roundedRect(x, y, x0, y0, x1, y1, r) {
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const qx = Math.abs(x - cx) - ((x1 - x0) / 2 - r);
  const qy = Math.abs(y - cy) - ((y1 - y0) / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/** Distance to a segment of round-capped width w. */
function segment(x, y, ax, ay, bx, by, w) {
  const px = x - ax;
  const py = y - ay;
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - dx * t, py - dy * t) - w / 2;
}

const top = hex('#2a5d80');
const bottom = hex('#12283b');
const field = hex('#7cd3c6');
const accent = hex('#f4c35a');
const chevron = hex('#eef5f8');

const bars = [
  { y: 32, w: 50, color: field },
  { y: 50, w: 34, color: field },
  { y: 68, w: 58, color: accent },
  { y: 86, w: 26, color: field },
];

/** The colour and coverage of one sample point: layers painted back to front. */
function sample(x, y) {
  let rgb = [0, 0, 0];
  let alpha = 0;
  const paint = (color, inside) => {
    if (!inside) return;
    rgb = color;
    alpha = 1;
  };
  paint(mix(top, bottom, (y - 8) / 112), roundedRect(x, y, 8, 8, 120, 120, 24) <= 0);
  for (const b of bars) paint(b.color, roundedRect(x, y, 24, b.y, 24 + b.w, b.y + 10, 3.5) <= 0);
  const chev = Math.min(segment(x, y, 92, 50, 104, 64, 7), segment(x, y, 104, 64, 92, 78, 7));
  paint(chevron, chev <= 0);
  return { rgb, alpha };
}

function render() {
  const px = Buffer.alloc(SIZE * SIZE * 4);
  for (let j = 0; j < SIZE; j++) {
    for (let i = 0; i < SIZE; i++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sj = 0; sj < SAMPLES; sj++) {
        for (let si = 0; si < SAMPLES; si++) {
          const s = sample(i + (si + 0.5) / SAMPLES, j + (sj + 0.5) / SAMPLES);
          r += s.rgb[0] * s.alpha;
          g += s.rgb[1] * s.alpha;
          b += s.rgb[2] * s.alpha;
          a += s.alpha;
        }
      }
      const o = (j * SIZE + i) * 4;
      // Colour un-premultiplied by coverage, coverage as alpha.
      px[o] = a ? Math.round(r / a) : 0;
      px[o + 1] = a ? Math.round(g / a) : 0;
      px[o + 2] = a ? Math.round(b / a) : 0;
      px[o + 3] = Math.round((a / (SAMPLES * SAMPLES)) * 255);
    }
  }
  return px;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIZE, 0);
  ihdr.writeUInt32BE(SIZE, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  // Each scanline: filter type 0 (none), then its pixels.
  const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
  for (let j = 0; j < SIZE; j++) rgba.copy(raw, j * (SIZE * 4 + 1) + 1, j * SIZE * 4, (j + 1) * SIZE * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? path.join(root, 'media', 'icon.png');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, png(render()));
console.log(`make-icon: wrote ${path.relative(process.cwd(), out) || out}`);
