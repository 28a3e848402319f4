import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DecodeResult, FromWebview, StreamAnnotation } from '../../client/webview/stream/protocol';
import * as hx from '../../client/webview/stream/hex-layout';
import * as pc from '../../client/webview/stream/page-cache';
import * as rpc from '../../client/webview/stream/rpc';
import * as tm from '../../client/webview/stream/tree-model';
import type { TreeItem, TreeRow } from '../../client/webview/stream/tree-model';
import { StreamRequests } from '../../server/src/lsp/preview';
import { examplesDir, fixtures } from '../util/paths';
import { workspaceOf } from '../util/workspace';

/**
 * The stream viewer's data side, without the DOM: the page cache, the tree model (from
 * the language server's real answers for a QEMU stream, and from JSON values) and the
 * request/answer pairing with the extension.
 */

/** A promise to settle by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('stream viewer: page cache', () => {
  it('loads what is wanted, a few at a time, the newest wishes first; drops stale wishes', async () => {
    const loads = new Map<number, ReturnType<typeof deferred<string>>>();
    const changed: number[] = [];
    const cache = new pc.PageCache<string>({
      concurrency: 2,
      load: (p) => {
        const d = deferred<string>();
        loads.set(p, d);
        return d.promise;
      },
      onChange: (p) => changed.push(p),
    });
    cache.want([0, 1, 2, 3]);
    assert.deepEqual([...loads.keys()], [0, 1], 'two at a time');
    assert.ok(cache.isLoading(3));
    cache.want([7, 1]); // scrolled on: 2 and 3 are no longer wanted
    assert.ok(!cache.isLoading(3));
    loads.get(0)!.resolve('zero');
    await tick();
    assert.deepEqual([...loads.keys()], [0, 1, 7], 'then the next wish');
    assert.equal(cache.get(0), 'zero');
    assert.deepEqual(changed, [0]);
    loads.get(1)!.reject(new Error('no server'));
    await tick();
    assert.equal(cache.error(1), 'no server');
    cache.want([1]);
    assert.deepEqual([...loads.keys()], [0, 1, 7], 'a failed page is not asked again until cleared');

    // clear(): the answer to a load started before is dropped.
    cache.clear();
    loads.get(7)!.resolve('seven');
    await tick();
    assert.equal(cache.get(7), undefined);
    assert.equal(cache.error(1), undefined);
    cache.want([7]);
    assert.equal(loads.size, 3);
  });

  it('keeps the most recently used pages up to its capacity; put() adds one', async () => {
    const cache = new pc.PageCache<number>({ capacity: 3, load: async (p) => p * 10 });
    cache.want([1, 2, 3]);
    await tick();
    assert.equal(cache.get(1), 10); // 1 is now the most recent
    cache.put(4, 40);
    assert.deepEqual(cache.loaded(), [3, 1, 4]);
    assert.equal(cache.has(2), false);
    assert.deepEqual(pc.pagesFor(1000, 3100, 1024), [0, 1, 2, 3]);
    assert.deepEqual(pc.pagesFor(0, 1024, 1024), [0]);
    assert.deepEqual(pc.pagesFor(5, 5, 1024), []);
  });
});

describe('stream viewer: tree model', () => {
  const item = (key: string, label: string, children = 0, extra: Partial<TreeItem> = {}): TreeItem => ({ key, label, kind: 'field', children, ...extra });
  const labels = (rows: TreeRow[]) => rows.map((r) => `${'  '.repeat(r.depth)}${r.kind === 'item' ? r.item.label : r.kind === 'group' ? `[${r.from}…${r.to - 1}]` : `loading ${r.from}-${r.to}`}`);

  it('flattens what is expanded and asks for the children it lacks, a chunk at a time', () => {
    const t = new tm.TreeModel(3);
    let { rows, missing } = t.rows();
    assert.deepEqual(labels(rows), ['loading 0-3']);
    assert.deepEqual(missing, [{ parent: tm.ROOT, offset: 0, limit: 3 }]);
    t.setChildren(tm.ROOT, 0, [item('0', 'config'), item('4', 'timer', 3), item('9', '/offset', 1, { kind: 'subsection' })]);
    ({ rows, missing } = t.rows());
    assert.deepEqual(labels(rows), ['config', 'timer', '/offset']);
    assert.deepEqual(missing, []);
    t.toggle('4');
    ({ rows, missing } = t.rows());
    assert.deepEqual(labels(rows), ['config', 'timer', '  loading 0-3', '/offset']);
    assert.deepEqual(missing, [{ parent: '4', offset: 0, limit: 3 }]);
    t.setChildren('4', 0, [item('5', '[0]', 2), item('6', '[1]'), item('7', '[2]')]);
    t.toggle('5');
    t.setChildren('5', 0, [item('10', 'tn')]);
    ({ rows, missing } = t.rows());
    assert.deepEqual(labels(rows), ['config', 'timer', '  [0]', '    tn', '    loading 1-2', '  [1]', '  [2]', '/offset']);
    assert.deepEqual(missing, [{ parent: '5', offset: 0, limit: 2 }], 'whole chunks');
    const tn = rows[3];
    assert.equal(tn.parentRow, 2);
    assert.equal(rows[2].parentRow, 1);
    assert.equal(rows[1].parentRow, -1);
    assert.ok(rows[1].kind === 'item' && rows[1].expanded && rows[1].siblings === 3 && rows[1].nth === 1);

    t.setFailed('5', 1, 'server gone');
    ({ rows, missing } = t.rows());
    assert.ok(rows[4].kind === 'loading' && rows[4].error === 'server gone');
    assert.deepEqual(missing, [], 'a failed chunk is not asked again');
    assert.deepEqual(t.placeOf('6'), { parent: '4', nth: 1 });
  });

  it('groups 32768 children by 100; reveal() opens the way to one of them', () => {
    const t = new tm.TreeModel(1);
    t.setChildren(tm.ROOT, 0, [item('461', 'mac_reg', 32768)]);
    t.toggle('461');
    let { rows, missing } = t.rows();
    assert.equal(rows.length, 1 + 328);
    assert.deepEqual(labels(rows.slice(0, 3)), ['mac_reg', '  [0…99]', '  [100…199]']);
    assert.deepEqual(labels(rows.slice(-1)), ['  [32700…32767]']);
    assert.deepEqual(missing, []);
    // The word 1000 arrives with a hex page: it is put in, and its way opened.
    t.setChildren('461', 1000, [item('1500', '[1000]')]);
    t.reveal([
      { key: '461', parent: tm.ROOT, nth: 0 },
      { key: '1500', parent: '461', nth: 1000 },
    ]);
    ({ rows, missing } = t.rows());
    assert.ok(t.expanded.has(tm.groupKey('461', 10)));
    const at = rows.findIndex((r) => r.key === '1500');
    assert.deepEqual(labels(rows.slice(at - 1, at + 2)), ['  [1000…1099]', '    [1000]', '    loading 1001-1100']);
    assert.equal(rows[at].parentRow, at - 1);
    assert.deepEqual(missing, [{ parent: '461', offset: 1000, limit: 100 }]);
  });

  it('labels are paths relative to the parent; a section\'s path is its idstr or its vmsd name', () => {
    assert.equal(tm.relativeLabel('hpet', 'hpet.num_timers'), 'num_timers');
    assert.equal(tm.relativeLabel('hpet.timer', 'hpet.timer[2]'), '[2]');
    assert.equal(tm.relativeLabel('hpet', 'hpet/offset'), '/offset');
    assert.equal(tm.relativeLabel('fdc.state.drives[0]', 'fdrive/media_rate'), 'fdrive/media_rate');
    assert.equal(tm.relativeLabel('e1000', 'e1000x.y'), 'e1000x.y');
    assert.equal(tm.sectionPath('0000:00:02.0/e1000', '0000:00:02.0/e1000.parent_obj'), '0000:00:02.0/e1000');
    assert.equal(tm.sectionPath('0000:00:01.3/piix4_pm', 'piix4_pm/memhp'), 'piix4_pm');
    assert.equal(tm.sectionPath(undefined), '');
  });

  it('keys: arrows move, open and close; Enter selects or opens a group', () => {
    const t = new tm.TreeModel(2);
    t.setChildren(tm.ROOT, 0, [item('0', 'a', 2), item('3', 'b')]);
    let { rows } = t.rows();
    assert.deepEqual(tm.treeKey(rows, 0, 'ArrowRight', 5), { toggle: '0' });
    t.toggle('0');
    t.setChildren('0', 0, [item('1', 'x'), item('2', 'y')]);
    ({ rows } = t.rows());
    assert.deepEqual(tm.treeKey(rows, 0, 'ArrowRight', 5), { move: 1 }, 'open: into the first child');
    assert.deepEqual(tm.treeKey(rows, 2, 'ArrowLeft', 5), { move: 0 }, 'a leaf: to its parent');
    assert.deepEqual(tm.treeKey(rows, 0, 'ArrowLeft', 5), { toggle: '0' });
    assert.deepEqual(tm.treeKey(rows, 3, 'ArrowLeft', 5), null, 'a top-level leaf');
    assert.deepEqual(tm.treeKey(rows, 1, 'ArrowDown', 5), { move: 2 });
    assert.deepEqual(tm.treeKey(rows, 3, 'ArrowDown', 5), { move: 3 });
    assert.deepEqual(tm.treeKey(rows, 3, 'ArrowUp', 5), { move: 2 });
    assert.deepEqual(tm.treeKey(rows, 0, 'PageDown', 5), { move: 3 });
    assert.deepEqual(tm.treeKey(rows, 2, 'Home', 5), { move: 0 });
    assert.deepEqual(tm.treeKey(rows, 0, 'End', 5), { move: 3 });
    assert.deepEqual(tm.treeKey(rows, 1, 'Enter', 5), { activate: 1 });
    assert.deepEqual(tm.treeKey(rows, 1, 'x', 5), null);
    assert.deepEqual(tm.treeKey([], 0, 'ArrowDown', 5), null);
    const big = new tm.TreeModel(150);
    const groups = big.rows().rows;
    assert.deepEqual(tm.treeKey(groups, 1, 'Enter', 5), { toggle: tm.groupKey(tm.ROOT, 1) });
  });

  it('JSON values (streams without offsets): fields, subsections, elements, long buffers cut', () => {
    const src = new tm.JsonTreeSource({
      fields: { config: 0, timer: [{ fields: { tn: 0, cmp: '18446744073709551615' }, subsections: {} }], buf: 'ab'.repeat(100), none: null },
      subsections: { offset: { fields: { hpet_offset: 5 }, subsections: {} } },
    });
    assert.equal(src.count(tm.ROOT), 5);
    const top = src.children(tm.ROOT, 0, 10);
    assert.deepEqual(
      top.map((i) => [i.label, i.kind, i.children, i.value]),
      [
        ['config', 'field', 0, '0'],
        ['timer', 'field', 1, undefined],
        ['buf', 'field', 0, `${'ab'.repeat(32)}… (100 bytes)`],
        ['none', 'field', 0, 'null'],
        ['/offset', 'subsection', 1, undefined],
      ],
    );
    const [t0] = src.children(top[1].key, 0, 10);
    assert.deepEqual([t0.label, t0.kind, t0.children], ['[0]', 'element', 2]);
    assert.deepEqual(
      src.children(t0.key, 0, 10).map((i) => [i.label, i.value]),
      [
        ['tn', '0'],
        ['cmp', '18446744073709551615'],
      ],
    );
    assert.deepEqual(src.children(top[0].key, 0, 10), []);
  });

  describe('from the language server\'s answers for a real stream', () => {
    const analysis = workspaceOf(
      fs.readdirSync(examplesDir).filter((f) => f.endsWith('.vmsd')).map((f) => ({ uri: 'file:///ex/' + f, text: fs.readFileSync(path.join(examplesDir, f), 'utf8') })),
    ).analysis();
    const requests = new StreamRequests();
    const file = path.join(fixtures, 'qemu', 'pc-7.2-devices.mig');
    const ask = (p: object) => requests.decodeStream(analysis, [], { path: file, values: false, ...p }) as unknown as DecodeResult;

    it('hpet: levels loaded by page.parent become the tree; a hex page\'s annotations reveal a byte', () => {
      const hpet = ask({ sections: { filter: 'hpet' }, page: { limit: 0 } }).sections[0];
      const t = new tm.TreeModel();
      const load = (parent: string, offset: number, parentPath: string) => {
        const r = ask({ sections: { limit: 0 }, page: { section: hpet.index, parent: parent === tm.ROOT ? -1 : Number(parent), offset, limit: tm.CHUNK } });
        if (parent === tm.ROOT) t.setCount(tm.ROOT, r.page.total);
        t.setChildren(parent, offset, r.annotations.map((a) => tm.itemOfAnnotation(a, parentPath)));
      };
      load(tm.ROOT, 0, tm.sectionPath(hpet.idstr));
      let rows = t.rows().rows;
      assert.deepEqual(labels(rows), ['config', 'isr', 'hpet_counter', 'num_timers', 'timer']);
      const num = rows[3];
      assert.ok(num.kind === 'item');
      assert.deepEqual([num.item.value, num.item.type, num.item.start! - hpet.start, num.item.end! - hpet.start], ['3', 'u8', 24, 25]);
      t.toggle(rows[4].key);
      for (const m of t.rows().missing) load(m.parent, m.offset, t.item(m.parent)!.path!);
      rows = t.rows().rows;
      assert.deepEqual(labels(rows).slice(4), ['timer', '  [0]', '  [1]', '  [2]']);

      // A click on timer[2].cmp's last byte: the hex page holds it and its ancestors.
      const byte = hpet.start + 125;
      const start = byte - (byte % 1024);
      const page = ask({ sections: { limit: 0 }, page: { range: { start, end: start + 1024 }, limit: 20000 } });
      const known = new Map(page.annotations.filter((a) => a.section === hpet.index).map((a) => [a.index, a] as [number, StreamAnnotation]));
      const cmp = page.annotations[hx.paintAnnotations(start, start + 1024, page.annotations)[byte - start]];
      assert.equal(cmp.path, 'hpet.timer[2].cmp');
      const chain = tm.chainTo(cmp, known)!;
      assert.deepEqual(
        chain.map((a) => a.path),
        ['hpet.timer', 'hpet.timer[2]', 'hpet.timer[2].cmp'],
      );
      let parentPath = tm.sectionPath(hpet.idstr);
      for (const a of chain) {
        t.setChildren(tm.parentKeyOf(a), a.nth, [tm.itemOfAnnotation(a, parentPath)]);
        parentPath = a.path;
      }
      t.reveal(chain.map((a) => ({ key: String(a.index), parent: tm.parentKeyOf(a), nth: a.nth })));
      const r = t.rows();
      const at = r.rows.findIndex((x) => x.key === String(cmp.index));
      assert.deepEqual(labels(r.rows.slice(at - 1, at + 2)), ['    loading 0-2', '    cmp', '    loading 3-7']);
      assert.deepEqual(r.missing, [{ parent: String(chain[1].index), offset: 0, limit: 7 }]);
      assert.equal(tm.chainTo(cmp, new Map()), undefined, 'an ancestor missing');
    });

    it('e1000: a subsection\'s fields under it, 32768 MAC words in groups', () => {
      const e = ask({ sections: { filter: 'e1000' }, page: { limit: 0 } }).sections[0];
      const top = ask({ sections: { limit: 0 }, page: { section: e.index, parent: -1, limit: 100 } });
      const t = new tm.TreeModel(top.page.total);
      t.setChildren(tm.ROOT, 0, top.annotations.map((a) => tm.itemOfAnnotation(a, tm.sectionPath(e.idstr, top.annotations[0].path))));
      const full = t.rows().rows.find((r) => r.kind === 'item' && r.item.label === 'e1000/full_mac_state')!;
      t.toggle(full.key);
      const [m] = t.rows().missing;
      const kids = ask({ sections: { limit: 0 }, page: { section: e.index, parent: Number(m.parent), offset: m.offset, limit: m.limit } });
      t.setChildren(m.parent, m.offset, kids.annotations.map((a) => tm.itemOfAnnotation(a, 'e1000/full_mac_state')));
      const macReg = t.rows().rows.find((r) => r.kind === 'item' && r.item.label === 'mac_reg')!;
      assert.equal(macReg.depth, 1);
      t.toggle(macReg.key);
      const rows = t.rows().rows;
      assert.equal(rows.filter((r) => r.kind === 'group' && r.parent === macReg.key).length, 328);
    });
  });
});

describe('stream viewer: requests through the extension', () => {
  it('pairs answers with requests by id; errors carry the server\'s code', async () => {
    const sent: FromWebview[] = [];
    const r = new rpc.DecodeRpc((m) => sent.push(m));
    const a = r.request({ page: { limit: 0 } });
    const b = r.request({ machine: 'pc-9' });
    assert.deepEqual(sent, [
      { kind: 'decode', id: 1, params: { page: { limit: 0 } } },
      { kind: 'decode', id: 2, params: { machine: 'pc-9' } },
    ]);
    assert.equal(r.pending, 2);
    assert.equal(r.receive({ kind: 'decoded', id: 2, error: { code: -32602, message: 'the workspace defines no machine type `pc-9`' } }), true);
    await assert.rejects(b, (e: unknown) => e instanceof rpc.ServerError && e.code === -32602 && /pc-9/.test(e.message));
    const result = { revision: 1 } as DecodeResult;
    r.receive({ kind: 'decoded', id: 1, result });
    assert.equal(await a, result);
    assert.equal(r.receive({ kind: 'decoded', id: 99, result }), true, 'an unknown answer is ignored');
    assert.equal(r.receive({ kind: 'refresh', reason: 'descriptions', machineSetting: '' }), false);
    assert.equal(r.pending, 0);
  });
});
