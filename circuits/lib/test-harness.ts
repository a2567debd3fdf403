/**
 * Test helper: a circom harness template written to a temporary file and built like any circuit (circuits/build.ts),
 * for the gadget tests that wrap a gadget in a main template of their own (logup-quant.test.ts, logup-input.test.ts).
 * The build is cached by content, so the temporary path is hashed under a fixed name.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BuiltCircuit, buildCircuit } from '../build.ts';

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
