import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../common/config.ts';
import { buildCircuit, circuitHash, loadCircuit } from './build.ts';
import { membershipCircuitSpec } from './membership.ts';

describe('circuit build (circom2, cached by content hash)', () => {
  it('a second build of the same sources is a cache hit', async () => {
    const spec = membershipCircuitSpec(3);
    const first = await buildCircuit(spec);
    const t = performance.now();
    const second = await buildCircuit(spec);
    assert.ok(performance.now() - t < 1000, 'no recompilation');
    assert.deepEqual(second, first);
    assert.deepEqual(await loadCircuit(first.id), first);
    // 625 + 364 per level + the sibling range checks' growth (docs/membership.md: 625 + 364·d + d(d-1)/2)
    assert.equal(first.nConstraints, 625 + 364 * 3 + 3);
    assert.equal(first.nPublic, 6);
  });

  it('the id changes with the instance and options', async () => {
    assert.notEqual(await circuitHash(membershipCircuitSpec(3)), await circuitHash(membershipCircuitSpec(4)));
    assert.notEqual(
      await circuitHash(membershipCircuitSpec(3)),
      await circuitHash({ ...membershipCircuitSpec(3), publicInputs: ['root'] }),
    );
  });

  it('the id depends only on the sources the circuit includes', async () => {
    const before = await circuitHash(membershipCircuitSpec(3));
    const unrelated = path.join(REPO_ROOT, 'circuits', 'lib', `zz-unrelated-${process.pid}.circom`);
    await writeFile(unrelated, 'pragma circom 2.1.6;\ntemplate Unrelated() { signal input x; }\n');
    try {
      assert.equal(await circuitHash(membershipCircuitSpec(3)), before, 'an unrelated template leaves the id alone');
    } finally {
      await rm(unrelated);
    }
  });

  it('a compile error is CIRCUIT_COMPILE_FAILED with the compiler message', async () => {
    await assert.rejects(
      buildCircuit({ name: 'broken', include: 'merkle.circom', instance: 'NoSuchTemplate(1)', publicInputs: [] }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'CIRCUIT_COMPILE_FAILED');
        assert.match(err.message, /NoSuchTemplate/);
        return true;
      },
    );
  });

  it('an unknown id is UNKNOWN_CIRCUIT', async () => {
    await assert.rejects(loadCircuit('membership-d3-000000000000'), { code: 'UNKNOWN_CIRCUIT' });
    await assert.rejects(loadCircuit('../etc'), { code: 'UNKNOWN_CIRCUIT' });
  });
});
