import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bn254 } from '@noble/curves/bn254.js';
import { BN254_R } from '../common/bn254.ts';
import {
  type CommitmentKey,
  checkCommitmentKey,
  checkCommitmentKnowledge,
  commitPublicInputs,
  createCommitmentKey,
  type G1Json,
  g1Json,
  randomScalar,
  rerandomizeCommitmentKey,
} from './commitment.ts';
import { commitmentMsmEngine, g1MsmJson, g1ScaleJson } from './commitment-msm.ts';
import { basesHash, cachedCommitment, readOpening, valuesHash, writeOpening } from './model-commitment.ts';

const G1 = bn254.G1.Point.BASE;
const N = 300;

/** A verification key shape with N + 1 public signals (IC points are random multiples of G1, one of them infinity). */
function fakeVkey(): Record<string, unknown> {
  const ic = Array.from({ length: N + 2 }, () => g1Json(G1.multiply(randomScalar())));
  return { nPublic: N + 1, IC: ic };
}

/** Runs `work` with the native engine switched off (noble), restoring the setting after. */
async function withNoble<T>(work: () => Promise<T>): Promise<T> {
  const saved = process.env.ZKAI_NATIVE;
  process.env.ZKAI_NATIVE = 'off';
  try {
    return await work();
  } finally {
    if (saved === undefined) delete process.env.ZKAI_NATIVE;
    else process.env.ZKAI_NATIVE = saved;
  }
}

describe('commitment MSMs and the opening cache (prover/commitment-msm.ts, prover/model-commitment.ts)', () => {
  let vkey: Record<string, unknown>;
  let key: CommitmentKey;
  let values: bigint[];
  let dir: string;
  const indices = Array.from({ length: N }, (_, i) => i + 1); // signal 0 stays uncommitted

  before(async () => {
    vkey = fakeVkey();
    key = await createCommitmentKey(vkey, indices);
    // Edge scalars among random ones: zero, one, r − 1; the last value is the blind.
    values = Array.from({ length: N }, (_, i) => (i === 0 ? 0n : i === 1 ? 1n : i === 2 ? BN254_R - 1n : randomScalar()));
    dir = await mkdtemp(path.join(tmpdir(), 'zkai-opening-test-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('MSM and batch scaling agree between the engine in use and noble', async () => {
    const points = [...key.bases, ['0', '1', '0'] as const].map((p) => [...p]) as typeof key.bases;
    const scalars = [...values, 5n];
    const ours = await g1MsmJson(points, scalars, 'p');
    const noble = await withNoble(() => g1MsmJson(points, scalars, 'p'));
    assert.ok(ours.equals(noble), `${commitmentMsmEngine()} MSM equals noble's`);
    const f = randomScalar();
    assert.deepEqual(await g1ScaleJson(points, f, 'p'), await withNoble(() => g1ScaleJson(points, f, 'p')));
    await assert.rejects(g1MsmJson(points, scalars.slice(1), 'p'), /points but/);
    await assert.rejects(g1MsmJson(points.slice(0, 1), [BN254_R], 'p'), /not a field element/);
    await assert.rejects(g1MsmJson([['1', '3', '1']], [1n], 'p'), /not a point on the BN254 curve/);
  });

  it('the key check and the commitment give the same results on the engine and on noble', async () => {
    await checkCommitmentKey(vkey, key);
    await withNoble(() => checkCommitmentKey(vkey, key));
    assert.deepEqual(await commitPublicInputs(key, values), await withNoble(() => commitPublicInputs(key, values)));
  });

  it('a cache bound to the values and bases is used as is; a changed value recomputes W and K', async () => {
    const fresh = await cachedCommitment(key, values, undefined);
    assert.deepEqual(fresh.recomputed, ['point', 'knowledge']);
    assert.deepEqual(fresh.commitment, await commitPublicInputs(key, values));
    await writeOpening(dir, values.at(-1)!, values, key, fresh.commitment);
    const opening = await readOpening(dir);
    assert.equal(opening.blind, values.at(-1));
    assert.deepEqual(opening.cache, {
      values: valuesHash(values),
      bases: basesHash(key),
      point: fresh.commitment.point,
      knowledge: fresh.commitment.knowledge,
    });
    const cached = await cachedCommitment(key, values, opening.cache);
    assert.deepEqual(cached, { commitment: fresh.commitment, recomputed: [] });

    const changed = [...values];
    changed[5] = changed[5]! + 1n;
    const again = await cachedCommitment(key, changed, opening.cache);
    assert.deepEqual(again.recomputed, ['point', 'knowledge']);
    assert.deepEqual(again.commitment, await commitPublicInputs(key, changed));
    // Another blind is another opening, so another W.
    const reblinded = [...values.slice(0, -1), randomScalar()];
    assert.deepEqual((await cachedCommitment(key, reblinded, opening.cache)).recomputed, ['point', 'knowledge']);
  });

  it('after a contribution (new κ) W stays cached and only K is recomputed; a stale or forged K is never used', async () => {
    const { cache } = await readOpening(dir);
    const next = await rerandomizeCommitmentKey(key, { name: 'bob' });
    await checkCommitmentKey(vkey, next);
    const r = await cachedCommitment(next, values, cache);
    assert.deepEqual(r.recomputed, ['knowledge']);
    assert.deepEqual(r.commitment.point, cache!.point);
    assert.notDeepEqual(r.commitment.knowledge, cache!.knowledge);
    assert.ok(checkCommitmentKnowledge(next.kappa_2, r.commitment));
    const forged = { ...cache!, knowledge: g1Json(G1.multiply(7n)) };
    assert.deepEqual((await cachedCommitment(key, values, forged)).recomputed, ['knowledge']);
    const notAPoint = { ...cache!, point: ['1', '3', '1'] as G1Json };
    assert.deepEqual((await cachedCommitment(key, values, notAPoint)).recomputed, ['point']);
  });

  it('an opening file without a blind is BAD_INPUT', async () => {
    await assert.rejects(readOpening(path.join(dir, 'missing')), /the Pedersen commitment's blind\) is missing/);
    assert.match(await readFile(path.join(dir, 'opening.json'), 'utf8'), /"blind"/);
  });
});
