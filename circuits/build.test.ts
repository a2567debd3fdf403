import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../common/config.ts';
import { buildCircuit, circuitHash, circuitIdentity, loadCircuit } from './build.ts';
import { membershipCircuitSpec } from './membership.ts';

describe('circuit build (circom2, cached by content hash)', () => {
  it('a second build of the same sources is a cache hit', async () => {
    const spec = membershipCircuitSpec(3);
    const first = await buildCircuit(spec);
    const second = await buildCircuit(spec);
    assert.deepEqual(second, first, 'the same record, builtAt included: nothing was compiled again');
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

  it('a generated source named alike hashes alike wherever it lies (a worker and its API node agree on the id)', async () => {
    // Two data directories that sort on either side of circuits/lib by absolute path (.zkai/… before it,
    // node_modules/.cache/… after it): the hash orders sources by the names it hashes them under, not by path.
    const source =
      'pragma circom 2.1.6;\ninclude "quant.circom";\ntemplate HashOrder() {\n    signal input in;\n    component r = RangeCheck(4);\n    r.in <== in;\n}\n';
    const dirs = [path.join(REPO_ROOT, '.zkai', 'hash-order-test'), path.join(REPO_ROOT, 'node_modules', '.cache', 'zkai-hash-order-test')];
    try {
      const ids = [];
      for (const dir of dirs) {
        await mkdir(dir, { recursive: true });
        const file = path.join(dir, 'HashOrder-0.circom');
        await writeFile(file, source);
        const spec = { name: 'hash-order', include: 'HashOrder-0.circom', instance: 'HashOrder()', publicInputs: [], extraSources: [file] };
        ids.push((await circuitIdentity({ ...spec, hashNames: { [file]: '.zkai/models/HashOrder-0.circom' } })).id);
      }
      assert.equal(ids[0], ids[1]);
    } finally {
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
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
