import * as assert from 'node:assert/strict';
import { sectionDescriptions } from '../../server/src/codec/stream';
import { Workspace } from '../../server/src/semantic/workspace';

/**
 * Two descriptions of one section (a workspace that also holds a -dump-vmstate import):
 * the one that can decode is used, whatever order the files come in.
 */
describe('codec: sectionDescriptions with a section described twice', () => {
  const real = 'vmstate dev {\n    version 1\n    a: u32\n}\n';
  const imported = 'vmstate dev {\n    version 1\n    a: opaque "unknown"\n}\n';
  for (const [first, second] of [
    ['a-real.vmsd', 'b-imported.vmsd'],
    ['b-real.vmsd', 'a-imported.vmsd'],
  ]) {
    it(`${first} and ${second}: the decodable one`, () => {
      const ws = new Workspace();
      ws.set(`file:///w/${first}`, first.includes('real') ? real : imported);
      ws.set(`file:///w/${second}`, second.includes('real') ? real : imported);
      const body = sectionDescriptions(ws.analysis()).get('dev')!;
      assert.equal(body.fields[0].type.element.kind, 'scalar');
    });
  }
  it('with two decodable ones, the first (by file) stays', () => {
    const ws = new Workspace();
    ws.set('file:///w/a.vmsd', real);
    ws.set('file:///w/b.vmsd', real.replace('a: u32', 'b: u32'));
    assert.equal(sectionDescriptions(ws.analysis()).get('dev')!.fields[0].name, 'a');
  });
});
