/**
 * A compile's progress lines as the CLI prints them (cli/progress.ts compileStep), written out once for the tests that
 * pin them: progress.test.ts (the wording) and remote-jobs.test.ts (the same lines from a service's compile job).
 */

/** Each phase's line. */
export const COMPILE_LINES = [
  '1/6 import the ONNX graph',
  '2/6 quantize on the calibration rows',
  '3/6 generate and compile the circuit',
  '4/6 trusted setup (Groth16 keys)',
  '5/6 commit to the weights',
  '6/6 write the model files',
];

/** The setup's steps within its line ("4/6 trusted setup (Groth16 keys): powers of tau"). */
export const SETUP_LINES = [
  'powers of tau',
  'phase-2 zkey (sparse combinations)',
  'phase-2 contribution (L and H sections)',
  'verification key and Solidity verifier',
];
