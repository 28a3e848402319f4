import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { findVmdesc, decodeStream, encodeStream, sectionDescriptions, StreamOptions } from '../../server/src/codec/stream';
import { vmdescOpaqueTest, vmdescText } from '../../server/src/codec/vmdesc';
import { encodeWithVmdesc } from '../../server/src/codec/vmstate';
import { findMachine, machineProperties } from '../../server/src/codec/machine';
import { examplesDir, fixtures } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/**
 * Writing the vmdesc as QEMU 7.2 does (vmstate_save_state_v): every section an example
 * describes must give QEMU's own entry, key for key, and the JSON text QEMU's, byte for
 * byte — so a stream whose vmdesc is written anew is the stream QEMU wrote.
 */
const analysis = workspaceOf(
  fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => ({ uri: 'file:///ex/' + f, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') })),
).analysis();
const examples: StreamOptions = { analysis, descriptions: sectionDescriptions(analysis) };
const streams: Array<[string, string | undefined]> = [['pc-7.2.mig', undefined], ['pc-7.2-devices.mig', undefined], ['q35-7.2.mig', undefined], ['pc-2.3.mig', 'pc-i440fx-2.3'], ['pc-7.2-caps.mig', undefined], ['pc-7.2-many.mig.gz', undefined]];
const read = (f: string) => {
  const b = fs.readFileSync(path.join(fixtures, 'qemu', f));
  return new Uint8Array(f.endsWith('.gz') ? zlib.gunzipSync(b) : b);
};

describe('codec: writing the vmdesc', () => {
  for (const [file, machine] of streams) {
    it(`${file}: the JSON text is QEMU's, and every described section gives QEMU's entry`, () => {
      const bytes = read(file);
      const s = decodeStream(bytes, { ...examples, machine });
      assert.equal(vmdescText(findVmdesc(bytes)), new TextDecoder().decode(s.trailer.subarray(5)));
      const m = findMachine(analysis, machine ?? s.machine ?? '');
      let device = 0;
      let compared = 0;
      for (const x of s.sections) {
        if (x.ramRecords || x.idstr === undefined) continue;
        const entry = s.vmdesc![device++];
        if (!x.value || x.byVmdesc) continue;
        const body = examples.descriptions.get(x.idstr.slice(x.idstr.lastIndexOf('/') + 1))!;
        const got = encodeWithVmdesc(body, x.value, x.version!, { analysis, properties: m ? machineProperties(m) : undefined, opaqueTest: vmdescOpaqueTest(entry) });
        const { name: _n, instance_id: _i, ...want } = entry;
        assert.equal(vmdescText(got.vmdesc), vmdescText(want), x.idstr);
        assert.equal(Buffer.compare(Buffer.from(got.bytes), Buffer.from(bytes.subarray(x.start, x.end))), 0, x.idstr);
        compared++;
      }
      assert.ok(compared >= 12, `${compared} sections compared`);
    });

    it(`${file}: a vmdesc written anew gives back the stream QEMU wrote, byte for byte`, () => {
      const bytes = read(file);
      const s = decodeStream(bytes, { ...examples, machine });
      const again = encodeStream({ ...s, rewriteVmdesc: true }, { ...examples, machine });
      assert.equal(Buffer.compare(Buffer.from(again), Buffer.from(bytes)), 0);
    });
  }
});
