import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../server/src/cli/main';
import { sectionDescriptions } from '../../server/src/codec/stream';
import { defaultValue, machineOptions, parseJson, ValueError, valueFromJson, valueToJson, valueToJsonData } from '../../server/src/codec/values';
import { BodyValue, decode, encode } from '../../server/src/codec/vmstate';
import { Analysis } from '../../server/src/semantic/analyzer';
import { examplesDir, fixtures } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/**
 * Values without a stream (codec/values.ts): the defaults of a description under a
 * machine type, with the reason for every field and subsection, and the JSON form of
 * `vmsd decode --format json` read back exactly.
 */
const analysis: Analysis = workspaceOf(
  fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => ({ uri: 'file:///ex/' + f, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') })),
).analysis();
const desc = (name: string) => analysis.descriptions.find((d) => d.name === name)!.body;
const newest = machineOptions(analysis);
const bigintJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));
const valueError = (path: string, re: RegExp) => (e: unknown) => e instanceof ValueError && e.path === path && re.test(e.message);

describe('codec: default values', () => {
  it('the newest machine type is the one without a parent', () => {
    assert.equal(newest.machine, 'pc-i440fx-7.2');
  });

  it('hpet v2: zeros, num_timers from its declared default, three zeroed timers, no subsection', () => {
    const d = defaultValue(desc('hpet'), 2, newest);
    assert.deepEqual(Object.keys(d.value.fields), ['config', 'isr', 'hpet_counter', 'num_timers', 'timer']);
    assert.equal(d.value.fields.config, 0n);
    assert.equal(d.value.fields.num_timers, 3n, 'HPET_MIN_TIMERS, what pre_load sets');
    const timers = d.value.fields.timer as BodyValue[];
    assert.equal(timers.length, 3);
    assert.deepEqual(timers[2].fields, { tn: 0n, config: 0n, cmp: 0n, fsb: 0n, period: 0n, wrap_flag: 0n, qemu_timer: 0n });
    assert.deepEqual(d.value.subsections, {});
    const why = (p: string) => d.presence.find((x) => x.path === p)!;
    assert.deepEqual([why('hpet.num_timers').present, why('hpet.num_timers').reason, why('hpet.num_timers').detail], [true, 'version', 'since 2 ≤ version 2']);
    assert.deepEqual([why('hpet.config').reason, why('hpet.timer[1].cmp').reason], ['always', 'always']);
    assert.deepEqual([why('hpet/rtc_irq_level').present, why('hpet/rtc_irq_level').reason], [false, 'test']);
    assert.equal(why('hpet/offset').reason, 'property');
    assert.match(why('hpet/offset').detail, /^needed \(\(config & HPET_CFG_ENABLE\) != 0 && property\(hpet-offset-saved\)\) is false: hpet\.hpet-offset-saved = true \(default\)$/);
    const bytes = encode(desc('hpet'), d.value, 2, d.codec);
    assert.equal(bytes.length, 24 + 1 + 3 * 42);
    assert.equal(bytes[24], 3);
  });

  it('hpet v1: num_timers is not sent, the array is still counted by its default', () => {
    const d = defaultValue(desc('hpet'), 1, newest);
    assert.ok(!('num_timers' in d.value.fields));
    const p = d.presence.find((x) => x.path === 'hpet.num_timers')!;
    assert.deepEqual([p.present, p.reason, p.detail], [false, 'version', 'since 2 > version 1']);
    assert.equal(encode(desc('hpet'), d.value, 1, d.codec).length, 24 + 3 * 42);
  });

  it('the machine type decides e1000\'s subsections, and the explanation names it', () => {
    const subs = (machine: string) => Object.keys(defaultValue(desc('e1000'), 2, machineOptions(analysis, machine)).value.subsections);
    assert.deepEqual(subs('pc-i440fx-7.2'), ['mit_state', 'full_mac_state', 'tx_tso_state']);
    assert.deepEqual(subs('pc-i440fx-2.11'), ['mit_state', 'full_mac_state']);
    assert.deepEqual(subs('pc-i440fx-2.4'), ['mit_state']);
    assert.deepEqual(subs('pc-i440fx-1.6'), []);
    const tso = defaultValue(desc('e1000'), 2, machineOptions(analysis, 'pc-i440fx-2.11')).presence.find((p) => p.path === 'e1000/tx_tso_state')!;
    assert.deepEqual([tso.present, tso.reason], [false, 'property']);
    assert.equal(tso.detail, 'needed (property(migrate_tso_props)) is false: e1000.migrate_tso_props = false (machine type pc-i440fx-2.11)');
  });

  it('an unknown machine type is a ValueError with a did-you-mean', () => {
    assert.throws(() => machineOptions(analysis, 'pc-i440fx-7.3'), valueError('machine', /^machine: expected a machine type of the descriptions \(did you mean `pc-i440fx-[0-9.]+`.*found `pc-i440fx-7\.3`$/));
  });

  it('opaque field tests are false unless answered; an answer by name gives the field at its size', () => {
    const plain = defaultValue(desc('e1000'), 2, newest);
    const parent = plain.value.fields.parent_obj as BodyValue;
    assert.deepEqual(Object.keys(parent.fields), ['version_id', 'irq_state']);
    const cfg = plain.presence.find((p) => p.path === 'e1000.parent_obj.config')!;
    assert.deepEqual([cfg.present, cfg.reason], [false, 'opaque']);
    assert.match(cfg.detail, /^if opaque "!pci_is_express\(dev\): conventional PCI device": the description cannot decide it; taken as false$/);
    const conventional = defaultValue(desc('e1000'), 2, { ...newest, opaque: { config: true } });
    const c = (conventional.value.fields.parent_obj as BodyValue).fields.config as Uint8Array;
    assert.equal(c.length, 256);
    assert.ok(c.every((b) => b === 0));
    // The same answer encodes and decodes consistently: 256 bytes more than without it.
    const withCfg = encode(desc('e1000'), conventional.value, 2, conventional.codec);
    assert.equal(withCfg.length - encode(desc('e1000'), plain.value, 2, plain.codec).length, 256);
    assert.equal(bigintJson(decode(desc('e1000'), withCfg, 2, conventional.codec).value), bigintJson(conventional.value));
  });

  it('needed opaque subsections are left out and said so; answered by path they are in', () => {
    const t = defaultValue(desc('timer'), 2, newest);
    assert.deepEqual(t.value.subsections, {});
    const icount = t.presence.find((p) => p.path === 'timer/icount')!;
    assert.deepEqual([icount.present, icount.reason], [false, 'opaque']);
    const on = defaultValue(desc('timer'), 2, { ...newest, opaque: { 'timer/icount': true } });
    assert.deepEqual(Object.keys(on.value.subsections), ['icount']);
    assert.deepEqual(Object.keys((on.value.subsections.icount as BodyValue).subsections), [], 'its nested ones stay undecided');
    assert.ok(on.presence.some((p) => p.path === 'timer/icount.qemu_icount' && p.present));
  });

  it('a section `needed` is reported: globalstate is sent on 7.2, undecidable on 2.3', () => {
    const now = defaultValue(desc('globalstate'), 1, newest).presence.find((p) => p.kind === 'section')!;
    assert.deepEqual([now.path, now.present, now.reason], ['globalstate', true, 'property']);
    const old = defaultValue(desc('globalstate'), 1, machineOptions(analysis, 'pc-i440fx-2.3')).presence.find((p) => p.kind === 'section')!;
    assert.deepEqual([old.present, old.reason], [false, 'opaque']);
  });

  it('every description of the examples, at every version: encode(defaults) decodes back to the defaults', () => {
    let n = 0;
    for (const d of analysis.descriptions) {
      for (let v = d.body.minimumVersion; v <= d.body.version; v++) {
        const def = defaultValue(d.body, v, newest);
        const bytes = encode(d.body, def.value, v, def.codec);
        const back = decode(d.body, bytes, v, def.codec);
        assert.equal(back.end, bytes.length, `${d.name} v${v}`);
        assert.equal(bigintJson(back.value), bigintJson(def.value), `${d.name} v${v}`);
        n++;
      }
    }
    assert.ok(n > 40, `${n} description versions`);
  });

  it('a version outside minimum_version..version is refused', () => {
    assert.throws(() => defaultValue(desc('hpet'), 3, newest), valueError('hpet', /expected a version from 1 to 2, found 3/));
  });
});

describe('codec: values from and to JSON', () => {
  let decodedText = '';
  before(async () => {
    let out = '';
    const code = await main(['decode', path.join(fixtures, 'qemu', 'pc-7.2-devices.mig'), '-d', examplesDir, '--format', 'json'], { out: (s) => (out += s), err: () => undefined });
    assert.equal(code, 0);
    decodedText = out;
  });

  it('every section `vmsd decode --format json` decodes with a description reads back, encodes to its bytes, and prints the same text', () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'qemu', 'pc-7.2-devices.mig')));
    const j = parseJson(decodedText) as { machine: string; sections: Array<{ idstr?: string; version?: number; start: number; end: number; decodedBy?: string; value?: unknown }> };
    const descriptions = sectionDescriptions(analysis);
    const done: string[] = [];
    for (const s of j.sections.filter((x) => x.decodedBy === 'description')) {
      const body = descriptions.get(s.idstr!.slice(s.idstr!.lastIndexOf('/') + 1))!;
      const built = valueFromJson(s.value, body, s.version!, machineOptions(analysis, j.machine));
      assert.deepEqual(built.defaulted, [], s.idstr);
      assert.deepEqual(Buffer.from(encode(body, built.value, s.version!, built.codec)), Buffer.from(bytes.subarray(s.start, s.end)), `${s.idstr} encodes differently`);
      // The sections sit at 6 spaces of indentation in the decode output.
      assert.ok(decodedText.includes(`"value": ${valueToJson(built.value, '      ')}`), `${s.idstr} prints differently`);
      done.push(s.idstr!);
    }
    for (const want of ['hpet', 'fw_cfg', '0000:00:02.0/e1000', 'serial', '0000:00:01.3/piix4_pm']) assert.ok(done.includes(want), want);
  });

  it('64-bit integers stay exact: digits, decimal strings; a rounded JSON.parse number is refused', () => {
    const text = '{"fields": {"config": 18446744073709551615, "isr": "18446744073709551614", "hpet_counter": -0, "num_timers": 3, "timer": []}}';
    const j = parseJson(text) as { fields: Record<string, unknown> };
    assert.equal(j.fields.config, 18446744073709551615n);
    // num_timers says 3, so an empty array is wrong: the path says where.
    assert.throws(() => valueFromJson(j, desc('hpet'), 2, newest), valueError('hpet.timer', /expected 3 elements, found 0$/));
    (j.fields as Record<string, unknown>).num_timers = 0;
    const built = valueFromJson(j, desc('hpet'), 2, newest);
    assert.equal(built.value.fields.config, 0xffffffffffffffffn);
    assert.equal(built.value.fields.isr, 0xfffffffffffffffen);
    const bytes = encode(desc('hpet'), built.value, 2, built.codec);
    assert.equal(Buffer.from(bytes.subarray(0, 16)).toString('hex'), 'ff'.repeat(15) + 'fe');
    assert.match(valueToJson(built.value), /"config": 18446744073709551615,/);
    assert.deepEqual((valueToJsonData(built.value) as { fields: Record<string, unknown> }).fields.config, '18446744073709551615');
    assert.equal((valueToJsonData(built.value) as { fields: Record<string, unknown> }).fields.num_timers, 0);
    const rounded = JSON.parse(text) as { fields: Record<string, unknown> };
    rounded.fields.num_timers = 0;
    assert.throws(() => valueFromJson(rounded, desc('hpet'), 2, newest), valueError('hpet.config', /expected an exact integer \(u64.*found 18446744073709552000/));
  });

  it('missing fields take their defaults and are listed; missing subsections follow `needed` on the values', () => {
    const b = valueFromJson({ fields: { config: 1 } }, desc('hpet'), 2, newest);
    assert.deepEqual(b.defaulted, ['hpet.isr', 'hpet.hpet_counter', 'hpet.num_timers', 'hpet.timer', 'hpet/offset']);
    assert.equal((b.value.fields.timer as BodyValue[]).length, 3);
    assert.deepEqual(Object.keys(b.value.subsections), ['offset'], 'enabled, and hpet-offset-saved on 7.2');
    const old = valueFromJson({ fields: { config: 1 } }, desc('hpet'), 2, machineOptions(analysis, 'pc-i440fx-2.11'));
    assert.deepEqual(Object.keys(old.value.subsections), []);
    // With a `subsections` key, exactly those given; one QEMU would not send is noted.
    const given = valueFromJson({ fields: { config: 0 }, subsections: { rtc_irq_level: { fields: { rtc_irq_level: 0 } } } }, desc('hpet'), 2, newest);
    assert.deepEqual(Object.keys(given.value.subsections), ['rtc_irq_level']);
    const p = given.presence.find((x) => x.path === 'hpet/rtc_irq_level')!;
    assert.deepEqual([p.present, p.reason], [true, 'value']);
    assert.match(p.detail, /QEMU would not send it: needed \(rtc_irq_level != 0\) is false/);
    assert.equal(given.presence.find((x) => x.path === 'hpet/offset')!.detail, 'not in the value');
  });

  it('errors give the path and "expected …, found …", with a did-you-mean for unknown names', () => {
    const hpet = desc('hpet');
    assert.throws(() => valueFromJson({ fields: { confg: 1 } }, hpet, 2, newest), valueError('hpet.confg', /did you mean `config`\?\), found the unknown field `confg`/));
    assert.throws(() => valueFromJson({ fields: { num_timers: 256 } }, hpet, 2, newest), valueError('hpet.num_timers', /expected a u8 from 0 to 255, found 256/));
    assert.throws(() => valueFromJson({ fields: { num_timers: 1.5 } }, hpet, 2, newest), valueError('hpet.num_timers', /expected an integer \(u8\), found 1\.5/));
    assert.throws(() => valueFromJson({ fields: { num_timers: 3 } }, hpet, 1, newest), valueError('hpet.num_timers', /expected no `num_timers` at version 1 \(since 2 > version 1\), found one in the value/));
    assert.throws(() => valueFromJson({ subsections: { ofset: { fields: {} } } }, hpet, 2, newest), valueError('hpet/ofset', /did you mean `offset`\?\), found the unknown subsection `ofset`/));
    assert.throws(() => valueFromJson({ fields: { timer: [{ fields: { tn: true } }, {}, {}] } }, hpet, 2, newest), valueError('hpet.timer[0].tn', /expected an integer \(u8\), found true/));
    assert.throws(() => valueFromJson({ field: {} }, hpet, 2, newest), valueError('hpet', /expected only "fields" and "subsections" in a value, found "field" \(did you mean `fields`\?\)/));
    assert.throws(() => valueFromJson([], hpet, 2, newest), valueError('hpet', /found an array of 0/));
    assert.throws(() => valueFromJson({ fields: { runstate: '00' } }, desc('globalstate'), 1, newest), valueError('globalstate.runstate', /expected 100 bytes \(200 hex digits\), found 1$/));
    assert.throws(() => valueFromJson({ fields: { runstate: 'zz' } }, desc('globalstate'), 1, newest), valueError('globalstate.runstate', /expected bytes as a hex string/));
    assert.throws(() => parseJson('{"fields": {"a": 1,}}'), valueError('JSON line 1 column 20', /expected a key in double quotes, found "}}"/));
  });

  it('lists and trees: elements as values, tree keys exact; defaults empty', () => {
    const ws = workspaceOf([
      {
        uri: 'file:///t/q.vmsd',
        text: ['vmstate mapping {', '    version 0', '', '    gpa: u64', '}', '', 'vmstate req {', '    version 0', '', '    tag: u32', '}', '', 'vmstate queue {', '    version 1', '    minimum_version 1', '', '    reqs: list<req>', '    maps: tree<u64, mapping>', '}', ''].join('\n'),
      },
    ]);
    const a = ws.analysis();
    assert.deepEqual([...a.diagnostics.values()].flat().filter((d) => d.severity === 'error'), []);
    const q = a.descriptions.find((d) => d.name === 'queue')!.body;
    assert.equal(bigintJson(defaultValue(q, 1, { analysis: a }).value), bigintJson({ fields: { reqs: [], maps: [] }, subsections: {} }));
    const b = valueFromJson(parseJson('{"fields": {"reqs": [{"fields": {"tag": 5}}], "maps": [{"fields": {"key": 18446744073709551615, "value": {"fields": {"gpa": 1}}}}]}}'), q, 1, { analysis: a });
    const bytes = encode(q, b.value, 1, b.codec);
    // list: 01, element, 00; tree: be32 count, then 01, 8-byte key, value; then 00.
    assert.equal(Buffer.from(bytes).toString('hex'), '01' + '00000005' + '00' + '00000001' + '01' + 'ff'.repeat(8) + '0000000000000001' + '00');
    const back = decode(q, bytes, 1, b.codec).value;
    assert.equal(bigintJson(valueFromJson(parseJson(valueToJson(back)), q, 1, { analysis: a }).value), bigintJson(back), 'what decode prints reads back');
    assert.throws(() => valueFromJson({ fields: { maps: [{ fields: { key: 1 } }] } }, q, 1, { analysis: a }), valueError('queue.maps[0]', /found no value/));
  });

  it('aliases, enum member names and NULL pointer elements', () => {
    const ws = workspaceOf([
      {
        uri: 'file:///t/w.vmsd',
        text: [
          'enum Mode: u8 {',
          '    off,',
          '    on,',
          '}',
          '',
          'vmstate slot {',
          '    version 1',
          '    minimum_version 1',
          '',
          '    tag: u32',
          '}',
          '',
          'vmstate w {',
          '    version 1',
          '    minimum_version 1',
          '',
          '    control_reg: u32 alias ctrl',
          '    mode: Mode',
          '    slots: slot?[2]',
          '}',
          '',
        ].join('\n'),
      },
    ]);
    const a = ws.analysis();
    assert.deepEqual([...a.diagnostics.values()].flat().filter((d) => d.severity === 'error'), []);
    const w = a.descriptions.find((d) => d.name === 'w')!.body;
    const b = valueFromJson({ fields: { ctrl: 7, mode: 'on', slots: [null, { fields: { tag: 9 } }] } }, w, 1, { analysis: a });
    assert.deepEqual(b.defaulted, []);
    assert.equal(b.value.fields.control_reg, 7n);
    assert.equal(b.value.fields.mode, 1n);
    const bytes = encode(w, b.value, 1, b.codec);
    assert.equal(Buffer.from(bytes).toString('hex'), '00000007' + '01' + '30' + '00000009');
    assert.equal(bigintJson(decode(w, bytes, 1, b.codec).value), bigintJson(b.value), 'the NULL element decodes as NULL');
    assert.throws(() => valueFromJson({ fields: { mode: 'of' } }, w, 1, { analysis: a }), valueError('w.mode', /expected a member of Mode or an integer \(did you mean `off`/));
    assert.throws(() => valueFromJson({ fields: { ctrl: 1, control_reg: 2 } }, w, 1, { analysis: a }), valueError('w.control_reg', /expected `control_reg` once, found it under `control_reg` and `ctrl`/));
  });
});
