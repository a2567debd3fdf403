import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { consoleCsp } from '../server/routes/console.ts';
import { buildConsole } from './build.ts';

test('the console build is cached by the content of its inputs', async () => {
  const dir = path.join(os.tmpdir(), `zkai-console-build-${process.pid}`);
  try {
    const first = await buildConsole({ cacheDir: dir });
    assert.equal(first.built, true);
    const html = first.index.body.toString();
    const [script] = [...first.assets.keys()].filter((n) => /^main-[A-Z0-9]+\.js$/.test(n));
    assert.ok(script && html.includes(`/assets/${script}`), html);
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3)/, 'the page loads nothing from another origin');

    const again = await buildConsole({ cacheDir: dir });
    assert.equal(again.built, false, 'unchanged inputs: the cache is reused');
    assert.equal(again.index.sha256, first.index.sha256);

    // A cache whose key no longer matches its inputs (as after an edit) is rebuilt, not served.
    const manifestFile = path.join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
    await writeFile(manifestFile, JSON.stringify({ ...manifest, key: '0'.repeat(64) }));
    assert.equal((await buildConsole({ cacheDir: dir })).built, true);
    // So is one with a file missing.
    await rm(path.join(dir, script));
    assert.equal((await buildConsole({ cacheDir: dir })).built, true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the Content-Security-Policy allows this origin and the chain RPC only', () => {
  assert.equal(
    consoleCsp('http://127.0.0.1:8545/'),
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' http://127.0.0.1:8545; " +
      "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  assert.match(consoleCsp(), /connect-src 'self';/);
  assert.match(consoleCsp('not a url'), /connect-src 'self';/);
});
