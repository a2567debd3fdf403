// A model circuit's setup identity (IModelGovernance.SetupIdentity): who ran its trusted setup, as a listing records
// it, computed from a zkai setup's files, and compared field by field (docs/economy.md, "Who could forge").
import { ZkaiError } from '../common/errors.ts';
import type { CommitmentKey } from '../prover/commitment.ts';
import type { SetupMeta } from '../prover/setup/index.ts';

/** Who ran a model circuit's trusted setup (IModelGovernance.SetupIdentity). */
export interface SetupIdentity {
  /** bytes32 hex: sha256 of the powers-of-tau ceremony file. */
  ceremony: string;
  /** The phase-2 (zkey) contribution hashes as snarkjs prints them: blake2b-512, 64-byte hex each. */
  zkeyContributions: string[];
  /** The weights' commitment key κ's history entry hashes (bytes32 hex); empty for a Poseidon-committed model. */
  kappaContributions: string[];
  /**
   * The lookup key κ's history entry hashes (bytes32 hex); empty for a model compiled without lookups. Whoever knows
   * that κ could forge the proof of knowledge of the lookup commitment D (docs/lookups.md, soundness step 1).
   */
  lookupKappaContributions: string[];
}

/**
 * The setup identity of a zkai setup, from its `setup.json` (prover/setup: the ptau's sha256, the phase-2
 * contribution hashes), for a Pedersen-committed model its commitment key (κ's history entry hashes) and, for a
 * model compiled with lookups, its lookup key (that κ's history entry hashes).
 */
export function setupIdentityOf(
  meta: Pick<SetupMeta, 'ptau' | 'contributions'>,
  key?: Pick<CommitmentKey, 'history'>,
  lookupKey?: Pick<CommitmentKey, 'history'>,
): SetupIdentity {
  const hex = (h: string, bytes: number, what: string) => {
    const v = h.startsWith('0x') ? h.slice(2) : h;
    if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(v)) throw new ZkaiError('BAD_INPUT', `${what}: expected ${bytes} bytes of hex`);
    return `0x${v.toLowerCase()}`;
  };
  return {
    ceremony: hex(meta.ptau.sha256, 32, 'ptau sha256'),
    zkeyContributions: meta.contributions.map((c, i) => hex(c.hash, 64, `contribution ${i + 1}`)),
    kappaContributions: (key?.history ?? []).map((e, i) => hex(e.hash, 32, `κ contribution ${i + 1}`)),
    lookupKappaContributions: (lookupKey?.history ?? []).map((e, i) => hex(e.hash, 32, `lookup κ contribution ${i + 1}`)),
  };
}

/**
 * How a declared setup identity (a listing's) differs from another (the one computed from a setup's files): one
 * sentence per differing part, naming it — the ceremony, a phase-2 contribution by number, a κ history entry of the
 * weights' commitment key or of the lookup key by number, or a count. Empty when they are equal field by field.
 */
export function setupIdentityDifferences(declared: SetupIdentity, actual: SetupIdentity): string[] {
  const out: string[] = [];
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (!same(declared.ceremony, actual.ceremony))
    out.push(`ceremony (ptau sha256) differs: the listing declares ${declared.ceremony}, the setup used ${actual.ceremony}`);
  const lists = [
    ['phase-2 contribution', declared.zkeyContributions, actual.zkeyContributions],
    ['κ contribution', declared.kappaContributions, actual.kappaContributions],
    ['lookup κ contribution', declared.lookupKappaContributions, actual.lookupKappaContributions],
  ] as const;
  for (const [what, d, a] of lists) {
    for (let i = 0; i < Math.min(d.length, a.length); i++)
      if (!same(d[i]!, a[i]!)) out.push(`${what} #${i + 1} differs: the listing declares ${d[i]}, the setup has ${a[i]}`);
    if (d.length !== a.length) out.push(`${what}s: the listing declares ${d.length}, the setup has ${a.length}`);
  }
  return out;
}
