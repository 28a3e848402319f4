import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Baseline, defaultGitBaseline, loadBaseline } from '../../server/src/host/baselines';
import { toUri } from '../../server/src/host/files';
import { fixtures } from '../util/paths';

/**
 * Baselines, the old side of a compatibility check: git revisions read without a
 * checkout (in real temporary repositories), folders of .vmsd files, QEMU dumps.
 */

const vmstate = (name: string, fields: string, version = 1) => `vmstate ${name} {\n    version ${version}\n    minimum_version 1\n\n${fields}}\n`;
const COMMON_V1 = vmstate('common_t', '    x: u32\n');
const FOO_V1 = `include "../shared/common.vmsd"\n\n${vmstate('foo', '    a: u8\n    c: common_t\n')}`;
const FOO_V2 = `include "../shared/common.vmsd"\n\n${vmstate('foo', '    a: u8\n    c: common_t\n    b: u16 since 2\n', 2)}`;

/** A child environment without the GIT_* variables of whoever runs the tests (a hook's GIT_DIR). */
const saved: Record<string, string | undefined> = {};
function gitEnv(): void {
  for (const k of Object.keys(process.env)) {
    if (k.startsWith('GIT_')) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  }
  // No user or system configuration: the tests see git's defaults.
  Object.assign(process.env, { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull });
}
function restoreEnv(): void {
  delete process.env.GIT_CONFIG_NOSYSTEM;
  delete process.env.GIT_CONFIG_GLOBAL;
  delete process.env.GIT_CEILING_DIRECTORIES;
  Object.assign(process.env, saved);
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function write(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

function commitAll(repo: string, message: string): string {
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

const names = (b: Baseline) => b.workspace.analysis().descriptions.map((d) => d.name).sort();
const errors = (b: Baseline) => [...b.workspace.analysis().diagnostics.values()].flat().filter((d) => d.severity === 'error');

describe('host: baselines', () => {
  let tmp: string;
  /** Two commits: v1 (foo, common, skipped folders), then v2 (foo grows a field); foo edited after. */
  let repo: string;
  let first: string;
  let second: string;

  before(() => {
    gitEnv();
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-baselines-')));
    // Even with the temporary folder inside some repository, `plain` below is outside any.
    process.env.GIT_CEILING_DIRECTORIES = tmp;
    repo = path.join(tmp, 'repo');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q');
    write(repo, 'devices/foo.vmsd', FOO_V1);
    write(repo, 'shared/common.vmsd', COMMON_V1);
    write(repo, 'devices/node_modules/x.vmsd', vmstate('skipped_nm', '    a: u8\n'));
    write(repo, 'devices/.hidden/y.vmsd', vmstate('skipped_dot', '    a: u8\n'));
    write(repo, 'devices/README.md', 'not a .vmsd file\n');
    first = commitAll(repo, 'v1');
    write(repo, 'devices/foo.vmsd', FOO_V2);
    write(repo, 'devices/bar.vmsd', vmstate('bar', '    z: u8\n'));
    second = commitAll(repo, 'v2');
    // Working-tree edits after the commit: a baseline from git must not see them.
    write(repo, 'devices/foo.vmsd', FOO_V2.replace('b: u16', 'b: u32'));
  });

  after(() => {
    restoreEnv();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const ctx = (paths: string[], cwd = repo) => ({ cwd, paths });

  it('git:HEAD reads the committed text, not the working tree, under the working-tree URIs', () => {
    const b = loadBaseline('git:HEAD', ctx(['devices']));
    assert.deepEqual(b.problems, []);
    assert.equal(b.kind, 'git');
    assert.equal(b.label, 'git:HEAD');
    const foo = toUri(path.join(repo, 'devices', 'foo.vmsd'));
    assert.equal(b.workspace.text(foo), FOO_V2);
    assert.equal(b.toCurrent(foo), foo);
    assert.equal(b.display(foo), 'git:HEAD:devices/foo.vmsd');
    assert.deepEqual(errors(b), []);
  });

  it('git:HEAD~1 and a commit id read the earlier revision', () => {
    for (const spec of ['git:HEAD~1', `git:${first}`]) {
      const b = loadBaseline(spec, ctx(['devices']));
      assert.deepEqual(b.problems, [], spec);
      assert.equal(b.workspace.text(toUri(path.join(repo, 'devices', 'foo.vmsd'))), FOO_V1, spec);
      assert.deepEqual(names(b), ['common_t', 'foo'], `${spec}: bar is newer`);
    }
  });

  it('a folder: its .vmsd files, not those under node_modules or dot folders', () => {
    const b = loadBaseline(`git:${second}`, ctx(['devices']));
    assert.deepEqual(names(b), ['bar', 'common_t', 'foo']);
    assert.ok(!b.workspace.uris().some((u) => /node_modules|\.hidden|README/.test(u)));
  });

  it('a single file, named relative to a cwd below the top', () => {
    const b = loadBaseline('git:HEAD~1', ctx(['foo.vmsd'], path.join(repo, 'devices')));
    assert.deepEqual(b.problems, []);
    assert.deepEqual(names(b), ['common_t', 'foo']);
    assert.equal(b.display(toUri(path.join(repo, 'devices', 'foo.vmsd'))), 'git:HEAD~1:devices/foo.vmsd');
  });

  it('files included from outside the checked paths are read from the same revision', () => {
    const b = loadBaseline('git:HEAD', ctx(['devices/foo.vmsd']));
    const common = toUri(path.join(repo, 'shared', 'common.vmsd'));
    assert.equal(b.workspace.text(common), COMMON_V1);
    assert.equal(b.display(common), 'git:HEAD:shared/common.vmsd');
    assert.deepEqual(errors(b), []);
  });

  it('an unknown revision or no revision is a problem, not a throw', () => {
    for (const [spec, message] of [['git:nosuch', 'unknown revision'], ['git:--all', 'unknown revision'], ['git:', 'no revision after `git:`']]) {
      const b = loadBaseline(spec, ctx(['devices']));
      assert.deepEqual(b.problems, [{ path: spec, message }]);
      assert.deepEqual(b.workspace.uris(), []);
    }
  });

  it('outside a git repository, or a path outside the repository, is a problem', () => {
    const outside = path.join(tmp, 'plain');
    fs.mkdirSync(outside, { recursive: true });
    const b = loadBaseline('git:HEAD', ctx(['.'], outside));
    assert.equal(b.problems.length, 1);
    assert.equal(b.problems[0].path, 'git:HEAD');
    assert.match(b.problems[0].message, /not in a git repository/);
    assert.deepEqual(b.workspace.uris(), []);

    const c = loadBaseline('git:HEAD', ctx(['devices', outside]));
    assert.deepEqual(c.problems, [{ path: outside, message: `outside the git repository ${repo}` }]);
    assert.deepEqual(names(c), ['bar', 'common_t', 'foo']);
  });

  it('defaultGitBaseline: HEAD without an upstream, the merge-base with one', () => {
    assert.equal(defaultGitBaseline(repo), `git:${second}`);
    assert.equal(defaultGitBaseline(path.join(tmp, 'plain')), undefined);
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    git(empty, 'init', '-q');
    assert.equal(defaultGitBaseline(empty), undefined, 'no commits');

    const remote = path.join(tmp, 'remote.git');
    git(tmp, 'clone', '-q', '--bare', repo, remote);
    const clone = path.join(tmp, 'clone');
    git(tmp, 'clone', '-q', remote, clone);
    write(clone, 'devices/baz.vmsd', vmstate('baz', '    q: u8\n'));
    const local = commitAll(clone, 'local work');
    assert.equal(defaultGitBaseline(clone), `git:${second}`, 'the merge-base with origin/main');
    git(clone, 'branch', '--unset-upstream');
    assert.equal(defaultGitBaseline(clone), `git:${local}`);
    git(clone, 'branch', '--set-upstream-to', 'origin/main');
    assert.equal(defaultGitBaseline(clone), `git:${second}`);
  });

  describe('folders', () => {
    let old: string;
    let cur: string;
    before(() => {
      old = path.join(tmp, 'files', 'old');
      cur = path.join(tmp, 'files', 'cur');
      write(old, 'dev/foo.vmsd', FOO_V1);
      write(old, 'shared/common.vmsd', COMMON_V1);
      write(cur, 'dev/foo.vmsd', FOO_V2);
    });

    it('a folder maps to the checked folder by relative path', () => {
      const b = loadBaseline('../old', ctx(['.'], cur));
      assert.equal(b.kind, 'files');
      assert.deepEqual(b.problems, []);
      const oldFoo = toUri(path.join(old, 'dev', 'foo.vmsd'));
      assert.equal(b.workspace.text(oldFoo), FOO_V1);
      assert.equal(b.toCurrent(oldFoo), toUri(path.join(cur, 'dev', 'foo.vmsd')));
      assert.equal(b.toCurrent(toUri(path.join(old, 'shared', 'common.vmsd'))), toUri(path.join(cur, 'shared', 'common.vmsd')), 'whether or not it exists');
      assert.equal(b.display(oldFoo), path.join('..', 'old', 'dev', 'foo.vmsd'));

      const sub = loadBaseline('old/dev', ctx(['cur/dev'], path.join(tmp, 'files')));
      assert.equal(sub.toCurrent(oldFoo), toUri(path.join(cur, 'dev', 'foo.vmsd')));
      assert.ok(sub.workspace.has(toUri(path.join(old, 'shared', 'common.vmsd'))), 'includes are followed');
    });

    it('a file maps to the one checked file', () => {
      const b = loadBaseline('old/dev/foo.vmsd', ctx(['cur/dev/foo.vmsd'], path.join(tmp, 'files')));
      assert.equal(b.toCurrent(toUri(path.join(old, 'dev', 'foo.vmsd'))), toUri(path.join(cur, 'dev', 'foo.vmsd')));
      assert.deepEqual(errors(b), []);
    });

    it('a missing folder is a problem', () => {
      const b = loadBaseline('nosuch', ctx(['.'], cur));
      assert.deepEqual(b.problems, [{ path: 'nosuch', message: 'no such file or directory' }]);
    });
  });

  describe('QEMU dumps', () => {
    it('dump1.json: imported in memory, with no errors but the dump\'s own', () => {
      const dump = path.join(fixtures, 'qemu-testdata', 'dump1.json');
      const b = loadBaseline(dump, ctx(['.'], tmp));
      assert.equal(b.kind, 'dump');
      assert.deepEqual(b.problems, []);
      assert.ok(b.workspace.analysis().descriptions.some((d) => d.body.wireName === 'fw_cfg'));
      // QEMU's test data is wrong on purpose: PIIX3 has version 1, minimum_version 2.
      assert.deepEqual(errors(b).map((d) => `${path.basename(d.uri!)} ${d.code}`), ['PIIX3.vmsd VL301']);
      const uri = b.workspace.uris().find((u) => u.endsWith('/fw_cfg.vmsd'))!;
      assert.ok(uri.startsWith(toUri(dump + '.vmsd-import') + '/'));
      assert.equal(b.toCurrent(uri), undefined);
      assert.equal(b.display(uri), `${path.relative(tmp, dump)}#fw_cfg.vmsd`);
    });

    it('a gzip-compressed dump, named relative to cwd', () => {
      const b = loadBaseline('dump-pc-i440fx-7.2.json.gz', ctx(['.'], path.join(fixtures, 'qemu')));
      assert.deepEqual(b.problems, []);
      const descs = b.workspace.analysis().descriptions;
      assert.ok(descs.some((d) => d.body.wireName === 'hpet'));
      assert.ok(descs.length > 100);
      assert.deepEqual(errors(b), []);
    });

    it('a JSON file under another name is a dump too', () => {
      const copy = path.join(tmp, 'dump-copy');
      fs.copyFileSync(path.join(fixtures, 'qemu-testdata', 'dump1.json'), copy);
      const b = loadBaseline(copy, ctx([], tmp));
      assert.equal(b.kind, 'dump');
      assert.deepEqual(b.problems, []);
    });

    it('malformed JSON, JSON that is not a dump, a missing dump: problems', () => {
      write(tmp, 'bad.json', '{"fw_cfg": ');
      write(tmp, 'notdump.json', '[1, 2]');
      const bad = loadBaseline('bad.json', ctx([], tmp));
      assert.equal(bad.problems.length, 1);
      assert.equal(bad.problems[0].path, 'bad.json');
      assert.match(bad.problems[0].message, /^invalid JSON: /);
      assert.deepEqual(bad.workspace.uris(), []);
      const notDump = loadBaseline('notdump.json', ctx([], tmp));
      assert.match(notDump.problems[0].message, /^not a -dump-vmstate file/);
      assert.deepEqual(loadBaseline('missing.json.gz', ctx([], tmp)).problems, [{ path: 'missing.json.gz', message: 'no such file' }]);
    });
  });
});
