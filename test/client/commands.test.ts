import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { baselineChoices, specFromPath, specFromRevision, specFromSetting, validateRevision } from '../../client/src/compat/baseline-choice';
import { defaultGitBaseline } from '../../client/src/compat/git-baseline';
import { CliResult, failureMessage, quoteArg, runCli } from '../../client/src/cli';
import { firstImportedFile, importArgs, importName, refusedExisting, suggestedOutput } from '../../client/src/commands/import-model';
import { baselineFromLog, baselineFromSetting, shortBaseline, statusPresentation } from '../../client/src/status-model';
import { defaultGitBaseline as serverDefault } from '../../server/src/host/baselines';
import { requireProgram } from '../util/external';
import { fixtures, repoRoot } from '../util/paths';

/**
 * The VS Code-free parts of the extension's commands: the baseline quick pick → the
 * `--baseline` argument, the default git baseline (the same as the server's), the import
 * arguments, the status bar text, and running the bundled CLI.
 */
describe('client: the baseline to check against', () => {
  const folder = path.resolve('/ws/qemu');
  const exists = (...present: string[]) => ({ folder, exists: (p: string) => present.map((x) => path.resolve(folder, x)).includes(p) });

  it('offers the setting first when it names a baseline, then the default, a revision, a folder, a file', () => {
    assert.deepEqual(baselineChoices('v7.2.0').map((c) => c.kind), ['setting', 'default', 'revision', 'folder', 'file']);
    assert.match(baselineChoices('v7.2.0')[0].label, /v7\.2\.0/);
    assert.deepEqual(baselineChoices('').map((c) => c.kind), ['default', 'revision', 'folder', 'file']);
    assert.match(baselineChoices('')[0].description ?? '', /default/);
    assert.deepEqual(baselineChoices('off').map((c) => c.kind), ['default', 'revision', 'folder', 'file']);
  });

  it('reads the setting as the language server does', () => {
    assert.equal(specFromSetting('', exists()), undefined, 'empty: the git default');
    assert.equal(specFromSetting('  ', exists()), undefined);
    assert.equal(specFromSetting('off', exists()), null);
    assert.equal(specFromSetting('none', exists()), null);
    assert.equal(specFromSetting('git:HEAD~1', exists()), 'git:HEAD~1');
    assert.equal(specFromSetting('origin/main', exists()), 'git:origin/main');
    assert.equal(specFromSetting('v7.2', exists()), 'git:v7.2');
    assert.equal(specFromSetting('old', exists('old')), 'old', 'a path that exists');
    assert.equal(specFromSetting('dumps/7.2.json.gz', exists('dumps/7.2.json.gz')), 'dumps/7.2.json.gz');
  });

  it('takes revisions typed in, with or without git:', () => {
    assert.equal(specFromRevision(' v7.2.0 '), 'git:v7.2.0');
    assert.equal(specFromRevision('git:HEAD~3'), 'git:HEAD~3');
    assert.equal(validateRevision('HEAD~3'), undefined);
    assert.match(validateRevision('  ')!, /Type/);
    assert.match(validateRevision('git:')!, /Type/);
    assert.match(validateRevision('a b')!, /spaces/);
    assert.match(validateRevision('--output=x')!, /"-"/);
  });

  it('names picked paths relative to the folder when inside it', () => {
    assert.equal(specFromPath(path.join(folder, 'old', 'hw'), folder), path.join('old', 'hw'));
    assert.equal(specFromPath(folder, folder), '.');
    assert.equal(specFromPath(path.resolve('/tmp/dump.json'), folder), path.resolve('/tmp/dump.json'));
    assert.equal(specFromPath(path.join(folder, 'git:odd'), folder), `.${path.sep}git:odd`, 'never read as a revision');
  });

  describe('the default: merge-base with upstream, else HEAD', function () {
    this.timeout(60_000);
    let root: string;
    const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();

    before(function () {
      requireProgram(this, 'git', 'apt-get install git');
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-client-git-'));
    });
    after(() => root && fs.rmSync(root, { recursive: true, force: true }));

    it('is undefined outside a repository and before the first commit', async () => {
      const plain = path.join(root, 'plain');
      fs.mkdirSync(plain);
      assert.equal(await defaultGitBaseline(plain), undefined);
      const empty = path.join(root, 'empty');
      fs.mkdirSync(empty);
      git(empty, 'init', '-q');
      assert.equal(await defaultGitBaseline(empty), undefined);
      assert.equal(serverDefault(empty), undefined);
    });

    it('is HEAD without an upstream, the merge-base with one, as the server says', async () => {
      const up = path.join(root, 'up');
      fs.mkdirSync(up);
      git(up, 'init', '-q', '-b', 'main');
      fs.writeFileSync(path.join(up, 'a.vmsd'), 'vmstate a {\n    version 1\n    x: u8\n}\n');
      git(up, 'add', '.');
      git(up, 'commit', '-qm', 'one');
      const base = git(up, 'rev-parse', 'HEAD');
      assert.equal(await defaultGitBaseline(up), `git:${base}`);

      const clone = path.join(root, 'clone');
      git(root, 'clone', '-q', up, clone);
      fs.appendFileSync(path.join(clone, 'a.vmsd'), '// local\n');
      git(clone, 'commit', '-qam', 'local');
      assert.notEqual(git(clone, 'rev-parse', 'HEAD'), base);
      assert.equal(await defaultGitBaseline(clone), `git:${base}`, 'the merge-base with origin/main, not HEAD');
      assert.equal(await defaultGitBaseline(clone), serverDefault(clone));
      assert.equal(await defaultGitBaseline(up), serverDefault(up));
    });
  });
});

describe('client: imports', () => {
  it('builds the CLI arguments', () => {
    assert.deepEqual(importArgs('qemu-dump', '/d/pc.json.gz', '/ws/out'), ['import', 'qemu-dump', '/d/pc.json.gz', '-o', '/ws/out']);
    assert.deepEqual(importArgs('vmdesc', 'pc.mig', 'o', true), ['import', 'vmdesc', 'pc.mig', '-o', 'o', '--force']);
  });

  it('suggests a folder named after the input', () => {
    assert.equal(importName('/x/qemu-7.2-pc.json.gz'), 'qemu-7.2-pc');
    assert.equal(importName('dump.json'), 'dump');
    assert.equal(importName('pc i440fx.mig'), 'pc-i440fx');
    assert.equal(importName('.json'), 'imported');
    assert.equal(suggestedOutput('/x/pc.vmstate'), path.join('vmstate-import', 'pc'));
  });

  it('opens the first description file, common.vmsd only when alone', () => {
    assert.equal(firstImportedFile(['common.vmsd', 'serial.vmsd', 'apic.vmsd', 'notes.txt']), 'apic.vmsd');
    assert.equal(firstImportedFile(['common.vmsd']), 'common.vmsd');
    assert.equal(firstImportedFile(['x.txt']), undefined);
  });

  it('recognises a refusal to overwrite', () => {
    assert.ok(refusedExisting('vmsd: out/a.vmsd, out/b.vmsd already exist; use --force to replace\n'));
    assert.ok(refusedExisting('vmsd: out/a.vmsd already exists; use --force to replace\n'));
    assert.ok(!refusedExisting('vmsd: x: no such file\n'));
  });
});

describe('client: the status bar item', () => {
  it('shows the state and the baseline, short for commit ids', () => {
    const sha = '3f2a9c1d0e4b5a6978877665544332211000aabb';
    const p = statusPresentation('ready', `git:${sha}`);
    assert.equal(p.text, '$(check) VMSD · git:3f2a9c1');
    assert.match(p.tooltip, new RegExp(`Compatibility baseline: git:${sha}`));
    assert.match(p.tooltip, /ready/);
    assert.equal(p.error, false);
    assert.equal(statusPresentation('starting').text, '$(sync~spin) VMSD');
    const e = statusPresentation('error', undefined, 'The server stopped');
    assert.equal(e.error, true);
    assert.match(e.tooltip, /The server stopped/);
    assert.match(e.tooltip, /none loaded/);
    assert.equal(shortBaseline('git:v7.2.0'), 'git:v7.2.0');
    assert.equal(shortBaseline('old/'), 'old/');
  });

  it('learns the baseline from the server’s log line and the setting', () => {
    assert.equal(baselineFromLog('vmsd: compatibility baseline git:abc'), 'git:abc');
    assert.equal(baselineFromLog('vmsd: baseline x: y: unknown revision'), undefined);
    assert.equal(baselineFromSetting(''), undefined);
    assert.equal(baselineFromSetting('off'), null);
    assert.equal(baselineFromSetting(' v7.2 '), 'v7.2');
  });
});

describe('client: running the bundled CLI', function () {
  this.timeout(60_000);
  const cli = path.join(repoRoot, 'out', 'server', 'src', 'cli', 'main.js');

  it('returns exit code and output, in the folder given', async () => {
    const r = await runCli({ node: process.execPath, cli, args: ['check', '.', '--format', 'json'], cwd: path.join(repoRoot, 'examples') });
    assert.equal(r.code, 0, r.stderr);
    assert.ok((JSON.parse(r.stdout) as { files: string[] }).files.includes('hpet.vmsd'));
    assert.equal(r.commandLine, 'vmsd check . --format json');
  });

  it('says what went wrong from the CLI’s own lines', async () => {
    const r = await runCli({ node: process.execPath, cli, args: ['import', 'qemu-dump', path.join(fixtures, 'no-such.json'), '-o', os.tmpdir()], cwd: repoRoot });
    assert.equal(r.code, 2);
    assert.match(failureMessage(r), /no-such\.json/);
    assert.doesNotMatch(failureMessage(r), /^vmsd: /);
    const bare: CliResult = { code: 2, stdout: '', stderr: '', commandLine: 'vmsd x' };
    assert.equal(failureMessage(bare), 'vmsd x exited with code 2');
    assert.equal(failureMessage({ ...bare, stderr: 'vmsd: note: n\nvmsd: a\nvmsd: b\n' }), 'a; b');
  });

  it('is cancelled by its signal', async () => {
    const abort = new AbortController();
    const p = runCli({ node: process.execPath, cli: '-e', args: ['setTimeout(() => {}, 30000)'], cwd: repoRoot, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
  });

  it('quotes arguments in the command line it logs', () => {
    assert.equal(quoteArg('git:HEAD~1'), 'git:HEAD~1');
    assert.equal(quoteArg('a b'), "'a b'");
    assert.equal(quoteArg("it's"), "'it'\\''s'");
  });
});
