/**
 * docs/service.md, limits: ZKAI_MAX_MODEL_BYTES bounds each file of a model upload. An ONNX file over it is 413
 * BODY_TOO_LARGE (checked on the decoded bytes, before it is parsed) or 400 when its base64 is already longer than
 * the limit allows; a calibration CSV over it is 400; a body far over both is refused by the route's own body limit
 * (413); a refused upload leaves no model and no job behind.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { REPO_ROOT } from '../common/config.ts';
import { JobStore } from '../jobs/jobs.ts';
import { prepareMembershipCircuit } from '../prover/membership.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from './app.ts';

const LIMIT = 4096;
const FIXTURES = path.join(REPO_ROOT, 'circuits', 'model', 'fixtures');

describe('model upload size limit (ZKAI_MAX_MODEL_BYTES)', () => {
  let tmp: string;
  let app: FastifyInstance;
  let store: JobStore;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-model-limits-'));
    const membership = await prepareMembershipCircuit(4);
    store = new JobStore(':memory:');
    app = await buildApp({
      store,
      runner: { pump() {} },
      membership,
      datasetsDir: path.join(tmp, 'datasets'),
      auth: { mode: 'off' },
      maxModelBytes: LIMIT,
    });
  });

  after(async () => {
    await app?.close();
    store?.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  const upload = (onnx: Buffer, calibrationCsv = '1,2\n3,4\n') =>
    app.inject({ method: 'POST', url: '/v1/models', payload: { name: 'm', onnx: onnx.toString('base64'), calibrationCsv } });
  const nothingLeft = async () => {
    assert.deepEqual((await app.inject({ method: 'GET', url: '/v1/models' })).json().models, []);
    assert.deepEqual(store.list(), []);
  };

  it('an ONNX file one byte over the limit is 413 BODY_TOO_LARGE, before it is parsed', async () => {
    const res = await upload(Buffer.alloc(LIMIT + 1, 7));
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(res.json().error.code, 'BODY_TOO_LARGE');
    assert.match(res.json().error.message, new RegExp(`limit of ${LIMIT} bytes`));
    await nothingLeft();
  });

  it('an ONNX file at the limit passes the size check (and is then judged as ONNX)', async () => {
    const res = await upload(Buffer.alloc(LIMIT, 7));
    assert.equal(res.statusCode, 400, res.body);
    assert.notEqual(res.json().error.code, 'BODY_TOO_LARGE');
    await nothingLeft();
  });

  it('a calibration CSV over the limit is 400; a body far over both is 413', async () => {
    const mlp = readFileSync(path.join(FIXTURES, 'mlp_digits.onnx'));
    assert.ok(mlp.length > LIMIT, 'the fixture is bigger than this test limit');
    const small = Buffer.alloc(16, 1);
    const csv = await upload(small, `${'1,'.repeat(LIMIT)}1\n`);
    assert.equal(csv.statusCode, 400, csv.body);
    assert.equal(csv.json().error.code, 'BAD_INPUT');
    // Base64 longer than the limit allows: the schema refuses it (400) before the body is decoded.
    const over = await upload(Buffer.alloc(LIMIT * 4, 1));
    assert.equal(over.statusCode, 400, over.body);
    assert.match(over.json().error.message, /onnx must NOT have more than/);
    // Past the route's body limit (both files at their largest, plus room for JSON): fastify stops reading, 413.
    const huge = await upload(Buffer.alloc(LIMIT * 20, 1));
    assert.equal(huge.statusCode, 413, huge.body);
    assert.equal(huge.json().error.code, 'BODY_TOO_LARGE');
    const real = await upload(mlp);
    assert.equal(real.statusCode, 400, 'a real model over the limit is refused too');
    await nothingLeft();
  });
});
