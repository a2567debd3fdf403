// Trusted setup: powers of tau (a user's ceremony file, or a fast insecure dev one) and Groth16 keys.

export {
  HERMEZ_FINAL_BLAKE2B,
  type ImportResult,
  importCeremony,
  pickRegisteredPtau,
  type RegisteredCeremony,
  readRegistry,
} from './ceremony.ts';
export {
  COMMITMENT_KEY_FILE,
  checkKeyAgainstSetup,
  contributeToCommitmentKey,
  ensureCommitmentKey,
  KEY_CREATION_NAME,
  LOOKUP_KEY_FILE,
  readCommitmentKeyFile,
} from './commitment-key.ts';
export { DEV_PTAU_WARNING, type DevPtauSidecar, type EnsureDevPtauOptions, ensureDevPtau } from './dev-ptau.ts';
export {
  type CircuitSetup,
  ensureCircuitSetup,
  pickZkeyGenerator,
  type SetupMeta,
  type SetupOptions,
  type ZkeyGenerator,
} from './groth16-setup.ts';
export { knownVkeyHashes } from './known-keys.ts';
export {
  type ContributeOptions,
  type ContributeResult,
  contributePhase2,
  type SetupStatus,
  setupStatus,
  type VerifyResult,
  verifyPhase2,
} from './phase2.ts';
export { DEV_CONTRIBUTION_NAME, importPtau, KNOWN_CEREMONIES, MAX_DEV_POWER, type PtauInfo, powerFor } from './ptau.ts';
export { type NewZkeyResult, newZkey } from './zkey-new.ts';
