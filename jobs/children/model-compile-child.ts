// Child process that compiles one uploaded model (quantize, circom codegen and compile, Groth16 setup),
// so the process that runs it keeps serving HTTP and proving meanwhile: the quantization and the setup
// are long stretches of synchronous work. Same protocol as commit-child.ts: the parent sends one
// CompileRequest; the child answers { ok: true, manifest } or { ok: false, code, message } and exits.
import { isZkaiError } from '../../common/errors.ts';
import { type CompileModelOptions, compileModel } from '../../prover/inference.ts';
import { releaseVerifierResources } from '../../prover/verify.ts';
import { exitWithGroupOnDisconnect, reportToParent } from './child-process.ts';

interface CompileRequest {
  onnxPath: string;
  calibrationPath: string;
  options: Omit<CompileModelOptions, 'log' | 'onProgress'>;
}

// If the server goes away, there is no one to answer: stop, circom included (child-process.ts).
exitWithGroupOnDisconnect();

process.once('message', async (msg: CompileRequest) => {
  let answer: unknown;
  try {
    const compiled = await compileModel(msg.onnxPath, msg.calibrationPath, {
      ...msg.options,
      // Each phase and setup step with its percent (prover/progress.ts), checked by the parent (model-jobs.ts).
      onProgress: (progress) => reportToParent(progress),
    });
    answer = { ok: true, manifest: compiled.manifest };
  } catch (err) {
    answer = isZkaiError(err)
      ? { ok: false, code: err.code, message: err.message }
      : { ok: false, code: 'INTERNAL', message: String((err as Error)?.message ?? err) };
  }
  await releaseVerifierResources().catch(() => {});
  process.send!(answer, () => process.exit(0));
});
