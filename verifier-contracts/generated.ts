import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ZkaiError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { assertSafeGeneratedSource, type SourceGuard } from '../common/source-guard.ts';
import { CONTRACTS_ROOT, type CompileResult, type ContractArtifact, compileUnlocked, loadArtifact, withCompileLock } from './compile.ts';

/** Where generated verifiers are written (gitignored); Hardhat compiles them with the rest of contracts/. */
export const GENERATED_DIR = path.join(CONTRACTS_ROOT, 'contracts', 'generated');

/** The contract name snarkjs gives every Groth16 verifier it exports. */
const SNARKJS_CONTRACT = /\bcontract\s+Groth16Verifier\b/g;

/**
 * Renames the contract in a snarkjs-exported Groth16 verifier (always `Groth16Verifier`) to `contractName`, so several
 * verifiers (membership, each model's inference circuit) can be compiled side by side without clashing.
 */
export function renameGroth16Verifier(solidity: string, contractName: string): string {
  if (!/^[A-Z][A-Za-z0-9_]*$/.test(contractName)) {
    throw new ZkaiError('BAD_INPUT', `invalid Solidity contract name ${JSON.stringify(contractName)}`);
  }
  const hits = solidity.match(SNARKJS_CONTRACT)?.length ?? 0;
  if (hits !== 1) {
    throw new ZkaiError('BAD_INPUT', `expected exactly one "contract Groth16Verifier" in the snarkjs verifier source, found ${hits}`);
  }
  return solidity.replace(SNARKJS_CONTRACT, `contract ${contractName}`);
}

/** Number of public signals a snarkjs Groth16 verifier takes (from its `uint[N] calldata _pubSignals` parameter). */
export function verifierPublicSignalCount(solidity: string): number {
  const m = /uint(?:256)?\[(\d+)\]\s+calldata\s+_pubSignals/.exec(solidity);
  if (!m) throw new ZkaiError('BAD_INPUT', 'not a snarkjs Groth16 verifier: no "uint[N] calldata _pubSignals" parameter');
  return Number(m[1]);
}

export interface InstallVerifierOptions {
  /** Name the contract gets, e.g. "MembershipVerifier"; also the file name (contracts/generated/<name>.sol). */
  contractName: string;
  /** The Solidity source exported by snarkjs (contract `Groth16Verifier`). */
  solidity: string;
  log?: (msg: string) => void;
}

export interface InstalledVerifier {
  contractName: string;
  path: string;
  /** False when the file already held exactly this source. */
  changed: boolean;
  compile: CompileResult;
  /**
   * The artifact compiled from this very source, read while holding the lock: deploy from it, not from a later
   * loadArtifact, which could see a different verifier installed by another process in between.
   */
  artifact: ContractArtifact;
}

/**
 * Writes a snarkjs-exported verifier to contracts/generated/<contractName>.sol (renamed from Groth16Verifier) and
 * compiles, all under the compile lock so a concurrent compile never sees a half-installed verifier. Re-installing
 * the same source is cheap (no write, Hardhat finds nothing to compile).
 */
export async function installGeneratedVerifier(opts: InstallVerifierOptions): Promise<InstalledVerifier> {
  const source = renameGroth16Verifier(opts.solidity, opts.contractName);
  return installContractSource({ contractName: opts.contractName, source, log: opts.log });
}

/**
 * What a generated Solidity line may hold: anything but control characters (the templates' comments have a few
 * non-ASCII symbols, ∈ and …), so nothing can end a `//` comment early. Every value the generators write is a number
 * or a contract name matching CONTRACT_NAME; the guard (common/source-guard.ts) catches a regression.
 */
export const SOLIDITY_GUARD: SourceGuard = {
  what: 'generated Solidity',
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what the guard rejects
  chars: /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/,
};

/**
 * Writes `source` (a contract named `contractName`, already in its final form) to
 * contracts/generated/<contractName>.sol and compiles, under the compile lock; the shared tail of
 * installGeneratedVerifier (snarkjs verifiers) and installCommittedVerifier (our own template). `untrusted`: strings
 * the caller got from outside (a model's name, a circuit id) that must not occur in the source.
 */
export async function installContractSource(opts: {
  contractName: string;
  source: string;
  untrusted?: readonly string[];
  log?: (msg: string) => void;
}): Promise<InstalledVerifier> {
  if (!/^[A-Z][A-Za-z0-9_]*$/.test(opts.contractName)) {
    throw new ZkaiError('BAD_INPUT', `invalid Solidity contract name ${JSON.stringify(opts.contractName)}`);
  }
  assertSafeGeneratedSource(opts.source, SOLIDITY_GUARD, opts.untrusted);
  const file = path.join(GENERATED_DIR, `${opts.contractName}.sol`);
  return withCompileLock(async () => {
    const current = await readFile(file, 'utf8').catch(() => undefined);
    const changed = current !== opts.source;
    if (changed) {
      await writeFileAtomic(file, opts.source);
      opts.log?.(`contracts: wrote ${path.relative(CONTRACTS_ROOT, file)}`);
    }
    const compile = await compileUnlocked({ log: opts.log });
    const artifact = await loadArtifact(opts.contractName);
    return { contractName: opts.contractName, path: file, changed, compile, artifact };
  });
}
