/**
 * Test helper: a circom harness template written to a temporary file and built like any circuit (circuits/build.ts),
 * for the gadget tests that wrap a gadget in a main template of their own (logup-quant.test.ts, logup-input.test.ts,
 * logup-max.test.ts), and the steps their forged witnesses share.
 * The build is cached by content, so the temporary path is hashed under a fixed name.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BN254_R, invMod, mod } from '../../common/bn254.ts';
import { ensureLookupSetup, type LookupSetup } from '../../prover/lookup/setup.ts';
import { type BuiltCircuit, buildCircuit } from '../build.ts';
import type { LogUpMain } from '../model/logup-emit.ts';
import { type R1cs, readR1cs } from '../r1cs.ts';

/** Builds `source`, whose main template is `template` (instantiated with no arguments), as the circuit `name`. */
export async function buildHarnessCircuit(name: string, template: string, source: string, publicInputs: string[]): Promise<BuiltCircuit> {
  const dir = await mkdtemp(path.join(tmpdir(), `zkai-${name}-`));
  const file = path.join(dir, `${name}.circom`);
  await writeFile(file, source);
  return buildCircuit({
    name,
    include: path.basename(file),
    instance: `${template}()`,
    publicInputs,
    extraSources: [file],
    hashNames: { [file]: `${name}.circom` },
  });
}

/** A harness, its lookup setup and its r1cs: what the LogUp gadget tests forge witnesses against. */
export async function lookupHarness<H extends { circuit: BuiltCircuit }>(
  build: () => Promise<H>,
): Promise<{ h: H; ls: LookupSetup; r1cs: R1cs }> {
  const h = await build();
  return { h, ls: await ensureLookupSetup(h.circuit), r1cs: await readR1cs(h.circuit.r1csPath) };
}

/**
 * A forger's LogUp tables: each table's multiplicities in `values` (the committed values, laid out as `main.tables`
 * records) recounted from its limbs as they now stand (a value outside the table is counted nowhere), and, once α is
 * drawn, every table's inverse wires at α through `set` (a wire by its symbol name).
 */
export function recountMultiplicities(main: LogUpMain, values: bigint[]): void {
  for (const t of main.tables) {
    for (let j = 0; j < 2 ** t.width; j++) values[t.multiplicities + j] = BigInt(t.limbs.filter((l) => values[l] === BigInt(j)).length);
  }
}
export function setTableInverses(main: LogUpMain, values: readonly bigint[], alpha: bigint, set: (name: string, v: bigint) => void): void {
  const inv = (v: bigint) => invMod(mod(v, BN254_R), BN254_R);
  for (const t of main.tables) {
    for (const [i, l] of t.limbs.entries()) set(`main.lkTable${t.width}.invF[${i}]`, inv(alpha - values[l]!));
    for (let j = 0; j < 2 ** t.width; j++) set(`main.lkTable${t.width}.invT[${j}]`, values[t.multiplicities + j]! * inv(alpha - BigInt(j)));
  }
}
