/**
 * Paid inference (InferenceMarket), signed with ZKAI_CHAIN_KEY; contracts from the deployment record or flags
 * (economy-cli.ts):
 *
 *   zkai inference request <modelId> --input <input.json> --dir <model dir> [--deadline <seconds>] [--max-fee <wei>]
 *   zkai inference request <modelId> --input-hash <n> [--deadline <seconds>] [--max-fee <wei>]
 *       Pays the model's current fee (escrowed) for an inference of exactly that input: the hash is computed from
 *       the input as the model's circuit does (its quantization, Poseidon), so the compiled directory is needed; or
 *       given. The deadline is seconds from the latest block (default 3600). --max-fee refuses a fee above it.
 *   zkai inference fulfil <requestId> <proof.json>
 *       The provider's proof of that model on that input (zkai model prove); releases the fee by the model's split.
 *   zkai inference refund <requestId>      after the deadline, credits the fee back to the consumer
 *   zkai inference show <requestId>        read-only: status, fee and every party it paid
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Wallet } from 'ethers';
import { ZkaiError } from '../common/errors.ts';
import { requestView } from '../verifier-contracts/economy-read.ts';
import {
  fulfilInference,
  getListing,
  inferenceMarketAt,
  modelGovernanceAt,
  refundRequest,
  requestInference,
} from '../verifier-contracts/market.ts';
import { attestSignals, bad, json, parseRpc, readBundle, signingKey, withChain } from './chain-cli.ts';
import { CONTRACT_OPTIONS, economyContracts, parseBytes32, parseField, parseFromBlock, parseRequestId, parseWei } from './economy-cli.ts';

const OPTIONS = {
  ...CONTRACT_OPTIONS,
  input: { type: 'string' },
  dir: { type: 'string' },
  'input-hash': { type: 'string' },
  deadline: { type: 'string' },
  'max-fee': { type: 'string' },
  'from-block': { type: 'string' },
} as const;

export async function inferenceCommand(sub: string | undefined, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  if (sub === 'request') return request(positionals, values);
  if (sub === 'fulfil' || sub === 'fulfill') return fulfil(positionals, values);
  if (sub === 'refund') return refund(positionals, values);
  if (sub === 'show') return show(positionals, values);
  bad(`unknown command: zkai inference ${sub ?? ''} (request, fulfil, refund, show)`);
}

type Values = { [K in keyof typeof OPTIONS]?: string };

/** The `inputHash` public signal a proof of the model in `dir` shows for the input in `file`. */
async function inputHashOf(dir: string, file: string): Promise<bigint> {
  const { deserialise, parseModelInput } = await import('../prover/model-io.ts');
  const { quantizeInput } = await import('../circuits/model/int-exec.ts');
  const { inputHash } = await import('../circuits/model/commit.ts');
  const read = async (f: string) => {
    try {
      return await readFile(f, 'utf8');
    } catch (err) {
      throw new ZkaiError('BAD_INPUT', `cannot read ${f}: ${(err as Error).message}`);
    }
  };
  let manifest: import('../prover/inference.ts').ModelManifest;
  let input: unknown;
  try {
    manifest = JSON.parse(await read(path.join(dir, 'model.json')));
    input = JSON.parse(await read(file));
  } catch (err) {
    if (err instanceof ZkaiError) throw err;
    throw new ZkaiError('BAD_INPUT', `${dir}/model.json or ${file} is not JSON: ${(err as Error).message}`);
  }
  if (manifest?.format !== 'zkai-model') bad(`${dir} is not a compiled model directory (zkai model compile)`);
  if (manifest.input !== 'private-hashed') bad(`${dir}: the model's input is public, not hashed; a paid request names an input hash`);
  const qm = deserialise(await read(path.join(dir, 'quantized.json')));
  return inputHash(qm, quantizeInput(qm, parseModelInput(input, manifest)));
}

async function request(positionals: string[], values: Values) {
  const modelId = parseBytes32(positionals[0], 'inference request <modelId>');
  if ((values.input === undefined) === (values['input-hash'] === undefined))
    bad('give the input as --input <input.json> --dir <model dir>, or its hash as --input-hash <n>');
  if (values.input !== undefined && values.dir === undefined)
    bad('--input needs --dir <model dir>: the hash follows the model’s quantization');
  const deadlineText = values.deadline ?? '3600';
  if (!/^\d+$/.test(deadlineText) || Number(deadlineText) < 1) bad(`--deadline must be seconds from now (> 0), got ${deadlineText}`);
  const maxFee = values['max-fee'] === undefined ? undefined : parseWei(values['max-fee'], 'max-fee');
  const inputHash =
    values['input-hash'] !== undefined ? parseField(values['input-hash'], '--input-hash') : await inputHashOf(values.dir!, values.input!);
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const signer = new Wallet(key, provider);
    const c = await economyContracts(provider, values, ['ModelGovernance', 'InferenceMarket']);
    // The fee in force now; if owners change it before this request is mined, the market reverts WrongFee.
    const { fee } = await getListing(modelGovernanceAt(c.ModelGovernance, provider), modelId);
    if (maxFee !== undefined && fee > maxFee) bad(`the model's fee is ${fee} wei, above --max-fee ${maxFee}`);
    const latest = await provider.getBlock('latest');
    if (!latest) throw new ZkaiError('CHAIN_ERROR', 'the chain returned no latest block');
    const deadline = latest.timestamp + Number(deadlineText);
    const { requestId, receipt } = await requestInference(inferenceMarketAt(c.InferenceMarket, signer), modelId, inputHash, deadline, fee);
    json({ requestId, modelId, inputHash, fee, deadline, consumer: signer.address, txHash: receipt.hash });
    return 0;
  });
}

async function fulfil(positionals: string[], values: Values) {
  const requestId = parseRequestId(positionals[0]);
  const file = positionals[1];
  if (!file) bad('inference fulfil needs <requestId> <proof.json> (zkai model prove)');
  const bundle = await readBundle(file);
  const signals = attestSignals(bundle);
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const c = await economyContracts(provider, values, ['InferenceMarket']);
    const market = inferenceMarketAt(c.InferenceMarket, new Wallet(key, provider));
    const { attestationId, receipt } = await fulfilInference(market, requestId, bundle.proof, signals, { lookup: bundle.lookupCommitment });
    const view = await requestView(market, requestId, receipt.blockNumber);
    json({ requestId, attestationId, txHash: receipt.hash, gasUsed: receipt.gasUsed, fee: view.fee, payouts: view.payouts });
    return 0;
  });
}

async function refund(positionals: string[], values: Values) {
  const requestId = parseRequestId(positionals[0]);
  const key = signingKey(parseRpc(values.rpc));
  return withChain(values.rpc, async (provider) => {
    const c = await economyContracts(provider, values, ['InferenceMarket']);
    const market = inferenceMarketAt(c.InferenceMarket, new Wallet(key, provider));
    const receipt = await refundRequest(market, requestId);
    const r = await requestView(market, requestId, receipt.blockNumber);
    json({ requestId, consumer: r.consumer, refunded: r.fee, txHash: receipt.hash });
    return 0;
  });
}

async function show(positionals: string[], values: Values) {
  const requestId = parseRequestId(positionals[0]);
  const fromBlock = parseFromBlock(values['from-block']);
  parseRpc(values.rpc);
  return withChain(values.rpc, async (provider) => {
    const c = await economyContracts(provider, values, ['InferenceMarket']);
    json(await requestView(inferenceMarketAt(c.InferenceMarket, provider), requestId, fromBlock));
    return 0;
  });
}
