import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { examplesDir, repoRoot } from '../util/paths';
import { requireProgram } from '../util/external';

/** Neovim 0.7 (Debian) headless as the LSP client: diagnostics, hover, completion, definition, formatting. */
describe('e2e: Neovim', function () {
  this.timeout(60_000);

  it('drives the server like a user on the hpet example', function () {
    requireProgram(this, 'nvim', 'apt-get install neovim');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-nvim-'));
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(dir, f));
    const r = spawnSync('nvim', ['--headless', '--clean', '-u', 'NONE', '-S', path.join(repoRoot, 'test', 'e2e', 'neovim', 'check.lua')], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 50_000,
      env: { ...process.env, VMSD_SERVER: path.join(repoRoot, 'bin', 'vmsd-language-server'), VMSD_FILE: path.join(dir, 'hpet.vmsd'), VMSD_ROOT: dir, XDG_STATE_HOME: dir, XDG_DATA_HOME: dir },
    });
    const out = r.stdout;
    assert.equal(r.status, 0, `nvim failed: ${r.stderr}\n${out}`);
    assert.match(out, /^DIAG \d+:\d+ VL100 Unknown type `u65`; did you mean `u64`\?$/m);
    assert.match(out, /^CLEARED$/m);
    assert.match(out, /^HOVER .*size 1 byte.*offset 24/m);
    const completion = /^COMPLETION (.*)$/m.exec(out)![1].split(',');
    for (const l of ['u8', 'timer', 'hpet_timer', 'bytes']) assert.ok(completion.includes(l), `completion lacks ${l}`);
    const hpet = fs.readFileSync(path.join(dir, 'hpet.vmsd'), 'utf8').split('\n');
    const [line] = /^DEFINITION (\d+):(\d+)$/m.exec(out)!.slice(1).map(Number);
    assert.match(hpet[line], /^vmstate hpet_timer/);
    assert.match(out, /^FORMATTED     isr: u64$/m);
  });
});
