/**
 * JSON Schema of a proof bundle (bundle.ts), for request validation and OpenAPI: kept apart from the parser, which
 * checks everything this schema cannot (cross-field rules, curve membership through the verifiers).
 */
import { BUNDLE_FORMAT, BUNDLE_VERSION, CIRCUIT_ID, HEX64, MAX_SIGNALS, TOP_LEVEL_KEYS } from './bundle.ts';

const decimal = { type: 'string', pattern: '^(0|[1-9][0-9]{0,77})$' } as const;
const g1 = { type: 'array', items: decimal, minItems: 3, maxItems: 3 } as const;
const fp2 = { type: 'array', items: decimal, minItems: 2, maxItems: 2 } as const;
const g2 = { type: 'array', items: fp2, minItems: 3, maxItems: 3 } as const;

/** A commitment point with its proof of knowledge (two G1 points), as bundles carry W and D. */
function commitmentSchema(description: string) {
  return {
    type: 'object',
    description,
    required: ['point', 'knowledge'],
    additionalProperties: false,
    properties: { point: g1, knowledge: g1 },
  } as const;
}

/**
 * JSON Schema (draft-07) for a bundle, for request validation and OpenAPI. Deliberately looser than
 * parseBundle (no cross-field checks, extra keys allowed inside vkey/proof/metadata): run parseBundle after it.
 */
export const proofBundleSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'zkai proof bundle',
  type: 'object',
  required: TOP_LEVEL_KEYS,
  additionalProperties: false,
  properties: {
    format: { type: 'string', const: BUNDLE_FORMAT },
    version: { type: 'integer', const: BUNDLE_VERSION },
    kind: { type: 'string', enum: ['membership', 'membership-batch', 'inference'] },
    circuitId: { type: 'string', pattern: CIRCUIT_ID.source },
    vkeyHash: { type: 'string', pattern: HEX64.source },
    vkey: {
      type: 'object',
      required: ['protocol', 'curve', 'nPublic', 'vk_alpha_1', 'vk_beta_2', 'vk_gamma_2', 'vk_delta_2', 'IC'],
      properties: {
        protocol: { type: 'string', const: 'groth16' },
        curve: { type: 'string', const: 'bn128' },
        nPublic: { type: 'integer', minimum: 0, maximum: MAX_SIGNALS },
        vk_alpha_1: g1,
        vk_beta_2: g2,
        vk_gamma_2: g2,
        vk_delta_2: g2,
        IC: { type: 'array', items: g1, minItems: 1, maxItems: MAX_SIGNALS + 1 },
      },
    },
    proof: {
      type: 'object',
      required: ['pi_a', 'pi_b', 'pi_c', 'protocol', 'curve'],
      properties: {
        pi_a: g1,
        pi_b: g2,
        pi_c: g1,
        protocol: { type: 'string', const: 'groth16' },
        curve: { type: 'string', const: 'bn128' },
      },
    },
    publicSignals: { type: 'array', items: decimal, maxItems: MAX_SIGNALS },
    public: { type: 'object', additionalProperties: { type: 'string' } },
    commitment: commitmentSchema(
      'Pedersen commitment W of the committed public inputs and its proof of knowledge (vkey.zkai_commitment present)',
    ),
    lookupCommitment: commitmentSchema(
      'LogUp lookup commitment D and its proof of knowledge (vkey.zkai_lookup present; α = H(D) is a statement signal)',
    ),
    metadata: {
      type: 'object',
      required: ['createdAt', 'engine', 'insecureSetup'],
      properties: {
        createdAt: { type: 'string' },
        engine: { type: 'string', minLength: 1 },
        provingMs: { type: 'number', minimum: 0 },
        insecureSetup: { type: 'boolean' },
        setup: { type: 'string' },
      },
    },
  },
} as const;
