/**
 * The native Groth16 quotient against the WASM reference (prover/groth16/quotient-wasm.ts, step for step
 * snarkjs's prover): on a real circuit's zkey section 4 and witness, and on random coefficients.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { WitnessCalculatorBuilder } from 'circom_runtime';
import { computeQuotientWasm } from '../groth16/quotient-wasm.ts';
import { parseWtns } from '../groth16/wtns.ts';
import { BN254_R, parseZkey } from '../groth16/zkey.ts';
import { membershipInput, membershipTestSetup } from '../test-fixtures.ts';
import { releaseVerifierResources } from '../verify.ts';
import type { NativeEngine } from './api.ts';
import { NATIVE_TESTS, requireNativeEngine } from './test-native.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function leBytes(v: bigint, out: Uint8Array, offset: number): void {
  let x = v;
  for (let i = 0; i < 32; i++) {
    out[offset + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

describe('native groth16Quotient', NATIVE_TESTS, () => {
  let engine: NativeEngine;

  before(() => {
    engine = requireNativeEngine();
  });
  after(async () => {
    await releaseVerifierResources();
  });

  test('equals the snarkjs-equivalent WASM quotient on the membership circuit', async () => {
    const fixture = await membershipTestSetup(2);
    const zkey = parseZkey(new Uint8Array(await readFile(fixture.zkeyPath)));
    const records = [1n, 2n, 3n].map((i) => ({ recordId: i, contributor: 0xabcn + i, contentHi: i * 7n, contentLo: i * 11n, weight: 5n }));
    const input = await membershipInput(records, 1, 42n, 2);
    const calculator = (await WitnessCalculatorBuilder(await readFile(fixture.circuit.wasmPath))) as {
      calculateWTNSBin(i: Record<string, unknown>, sanity: boolean): Promise<Uint8Array>;
    };
    const witness = parseWtns(await calculator.calculateWTNSBin(input, true)).values;
    const expected = await computeQuotientWasm(zkey.coefs, zkey.nCoefs, witness, zkey.domainSize);
    const got = await engine.groth16Quotient(zkey.coefs, zkey.nCoefs, witness, zkey.domainSize);
    assert.equal(got.length, zkey.domainSize * 32);
    assert.ok(
      got.some((b) => b !== 0),
      'a satisfied circuit still has a nonzero quotient on the coset',
    );
    assert.equal(hex(got), hex(expected));
  });

  test('equals the WASM quotient on random coefficients (repeated rows, both matrices)', async () => {
    let s = 12345;
    const next = () => {
      s = (s * 1103515245 + 12345) >>> 0;
      return s;
    };
    const random = () => {
      let v = 0n;
      for (let i = 0; i < 8; i++) v = (v << 32n) | BigInt(next());
      return v % BN254_R;
    };
    for (const [domainSize, nCoefs, nVars] of [
      [1, 3, 2],
      [2, 5, 3],
      [256, 700, 50],
      [4096, 9000, 1000],
    ] as const) {
      const coefs = new Uint8Array(nCoefs * 44);
      const view = new DataView(coefs.buffer);
      for (let i = 0; i < nCoefs; i++) {
        view.setUint32(i * 44, next() & 1, true);
        view.setUint32(i * 44 + 4, next() % domainSize, true);
        view.setUint32(i * 44 + 8, next() % nVars, true);
        leBytes(i % 5 === 0 ? 1n : random(), coefs, i * 44 + 12);
      }
      const witness = new Uint8Array(nVars * 32);
      for (let i = 0; i < nVars; i++) leBytes(i === 0 ? 1n : random(), witness, i * 32);
      const expected = await computeQuotientWasm(coefs, nCoefs, witness, domainSize);
      const got = await engine.groth16Quotient(coefs, nCoefs, witness, domainSize);
      assert.equal(hex(got), hex(expected), `domain ${domainSize}`);
    }
  });
});
