/**
 * A proof bundle's public signals for people: what a membership proof says about a dataset record (root, recipient,
 * weight of total, epoch, nullifier) and what an inference proof says about a model run (weights commitment, input
 * hash, signed logits, predicted class, the address it is bound to), and what its setup is worth. Pure: no DOM, so
 * it is tested in Node.
 */
import { type ProofBundle, signedOutputs } from '../../prover/bundle.ts';
import { commitmentId } from '../../prover/commitment-verify.ts';

export interface SignalRow {
  /** The signal's name in the circuit (`public` key), or a derived value's name. */
  name: string;
  /** What it means, for people. */
  label: string;
  value: string;
}

export interface BundleDescription {
  kind: ProofBundle['kind'];
  circuitId: string;
  rows: SignalRow[];
  /** The setup's security: a locally generated (INSECURE) powers of tau, or a ceremony's. */
  security: { insecure: boolean; label: string; detail?: string };
  /** Inference bundles: the logits as signed integers and the predicted class. */
  outputs?: { logits: string[]; label: string };
  /** Inference bundles with a Pedersen weights commitment: its id, as ModelRegistry names the weights. */
  weightsCommitmentId?: string;
}

const hex = (v: string, digits: number) => `0x${BigInt(v).toString(16).padStart(digits, '0')}`;

function membershipRows(pub: Record<string, string>): SignalRow[] {
  const weight = BigInt(pub.weight ?? '0');
  const total = BigInt(pub.total ?? '0');
  // The share in basis points, with BigInt: weights are up to 2^64, past a double's exact range.
  const share = total > 0n ? `${(Number((weight * 10000n) / total) / 100).toFixed(2)} %` : 'n/a';
  return [
    { name: 'root', label: 'Dataset root (Merkle-sum root)', value: hex(pub.root ?? '0', 64) },
    { name: 'contributor', label: 'Contributor (royalty recipient)', value: pub.contributor ?? '' },
    { name: 'weight', label: 'Record weight', value: weight.toString() },
    { name: 'total', label: 'Total weight of the dataset', value: total.toString() },
    { name: 'share', label: 'Share of the royalty pot', value: share },
    { name: 'epoch', label: 'Royalty epoch', value: pub.epoch ?? '' },
    { name: 'nullifier', label: 'Nullifier (one claim per record and epoch)', value: hex(pub.nullifier ?? '0', 64) },
  ];
}

function inferenceRows(bundle: ProofBundle, outputs: { logits: string[]; label: string }, commitmentIdHex?: string): SignalRow[] {
  const rows: SignalRow[] = [];
  const pub = bundle.public;
  if (commitmentIdHex)
    rows.push({ name: 'commitment', label: 'Model weights commitment id (Pedersen W, as ModelRegistry names it)', value: commitmentIdHex });
  if (pub.weightsHash !== undefined)
    rows.push({ name: 'weightsHash', label: 'Model weights hash (Poseidon)', value: hex(pub.weightsHash, 64) });
  if (pub.inputHash !== undefined)
    rows.push({ name: 'inputHash', label: 'Input hash (the input stays private)', value: hex(pub.inputHash, 64) });
  outputs.logits.forEach((v, i) => {
    rows.push({ name: `logits[${i}]`, label: `Output ${i} (signed, fixed point)`, value: v });
  });
  rows.push({ name: 'label', label: 'Predicted class', value: outputs.label });
  const inputs = Object.keys(pub).filter((k) => k.startsWith('in['));
  if (inputs.length)
    rows.push({ name: 'in', label: `Public input (${inputs.length} values)`, value: inputs.map((k) => pub[k]).join(', ') });
  if (pub.binding !== undefined) {
    const bound = BigInt(pub.binding) === 0n ? 'nobody (binding 0: no registry attests it)' : pub.binding;
    rows.push({ name: 'binding', label: 'Bound to registrant', value: bound });
  }
  return rows;
}

/** Describes a bundle that parseBundle accepted. */
export function describeBundle(bundle: ProofBundle): BundleDescription {
  const insecure = bundle.metadata.insecureSetup;
  const security = {
    insecure,
    label: insecure ? 'INSECURE dev setup' : 'Ceremony setup',
    ...(bundle.metadata.setup ? { detail: bundle.metadata.setup } : {}),
  };
  if (bundle.kind === 'membership') {
    return { kind: bundle.kind, circuitId: bundle.circuitId, rows: membershipRows(bundle.public), security };
  }
  const outputs = signedOutputs(bundle) ?? { logits: [], label: '' };
  const cid = bundle.commitment ? hex(commitmentId(bundle.commitment.point).toString(), 64) : undefined;
  return {
    kind: bundle.kind,
    circuitId: bundle.circuitId,
    rows: inferenceRows(bundle, outputs, cid),
    security,
    outputs,
    ...(cid ? { weightsCommitmentId: cid } : {}),
  };
}
