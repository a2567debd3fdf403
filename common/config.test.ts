import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveHome } from './config.ts';

describe('the data directory (resolveHome)', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'zkai-home-'));
    await mkdir(path.join(root, 'project', '.zkai'), { recursive: true });
    await mkdir(path.join(root, 'project', 'src', 'deep'), { recursive: true });
    await mkdir(path.join(root, 'elsewhere'), { recursive: true });
    await mkdir(path.join(root, 'user'), { recursive: true });
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('ZKAI_HOME wins, resolved against the current directory', () => {
    const env = { ZKAI_HOME: 'store', HOME: path.join(root, 'user') };
    assert.deepEqual(resolveHome(env, path.join(root, 'project')), { path: path.join(root, 'project', 'store'), source: 'ZKAI_HOME' });
  });

  it("a project's own .zkai is found from any folder below it", () => {
    const env = { HOME: path.join(root, 'user') };
    for (const cwd of [path.join(root, 'project'), path.join(root, 'project', 'src', 'deep')])
      assert.deepEqual(resolveHome(env, cwd), { path: path.join(root, 'project', '.zkai'), source: 'project' });
  });

  it('elsewhere it is ~/.zkai, never a new .zkai in the current directory', () => {
    const env = { HOME: path.join(root, 'user') };
    const stray = resolveHome({ HOME: '/nonexistent' }, root);
    assert.equal(stray.source, 'user', `precondition: no .zkai above ${root}; ${stray.path} is a stray store, remove it`);
    assert.deepEqual(resolveHome(env, path.join(root, 'elsewhere')), { path: path.join(root, 'user', '.zkai'), source: 'user' });
  });
});
