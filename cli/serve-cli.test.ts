/**
 * Issue 16's CLI rules: an unknown flag is a usage error (exit 2, one line, no stack trace), and `zkai serve` takes
 * --port and --host, which win over ZKAI_PORT / ZKAI_HOST (it used to ignore every flag and start on 8080).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../common/config.ts';
import { freePort } from '../verifier-contracts/chain.ts';
import { runZkai } from './run-cli.ts';

describe('zkai flags', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('an unknown flag is a usage error: exit 2 and a one-line message', () => {
    for (const args of [
      ['verify', 'x.json', '--bogus'],
      ['serve', '--bogus'],
      ['model', 'compile', 'm.onnx', '--calibraton', 'c.csv'],
    ]) {
      const r = runZkai(args, REPO_ROOT);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /error \[BAD_INPUT\]: Unknown option '--(bogus|calibraton)'/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    for (const port of ['abc', '70000']) {
      const r = runZkai(['serve', '--port', port], REPO_ROOT);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--port must be a port number/);
    }
  });

  it('zkai serve --port N listens on N, over ZKAI_PORT', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'zkai-serve-'));
    dirs.push(home);
    const [port, envPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'cli', 'bin.js'), 'serve', '--port', String(port), '--host', '127.0.0.1'], {
      env: { ...process.env, ZKAI_HOME: home, ZKAI_PORT: String(envPort), ZKAI_CHAIN: 'off', ZKAI_TREE_DEPTH: '4', ZKAI_WARMUP: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          log += d;
          if (log.includes('zkai is ready')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`zkai serve exited ${code}: ${log}`)));
      });
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
      await assert.rejects(fetch(`http://127.0.0.1:${envPort}/health`), 'nothing on ZKAI_PORT');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
