import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
    // 321 (leaf) + 242 per level + 240 (nullifier)
    assert.equal(first.nConstraints, 321 + 242 * 3 + 240);
    assert.equal(first.nPublic, 5);
  });

  it('the id changes with the instance and options', async () => {
    assert.notEqual(await circuitHash(membershipCircuitSpec(3)), await circuitHash(membershipCircuitSpec(4)));
    assert.notEqual(
      await circuitHash(membershipCircuitSpec(3)),
      await circuitHash({ ...membershipCircuitSpec(3), publicInputs: ['root'] }),
    );
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
