import type { FastifyPluginAsync } from 'fastify';
import { ZkaiError } from '../../common/errors.ts';
import { MAX_STATEMENT_SIGNALS, parseBundle } from '../../prover/bundle.ts';
import type { BundleVerifier } from '../../prover/verify-pool.ts';
import { errorResponses } from '../schemas.ts';

/**
 * The most public signals a bundle sent to /v1/verify may have (prover/bundle.ts: model compiles refuse circuits
 * whose statement is longer, so every model the service makes can be checked here). The bundle format allows 4,096,
 * and one such request used to hold the event loop for ~17 s. Over it: 413 BODY_TOO_LARGE before any curve arithmetic.
 */
export const DEFAULT_VERIFY_MAX_SIGNALS = MAX_STATEMENT_SIGNALS;

/** The body limit of /v1/verify for `maxSignals`: a fixed part (keys, proof, metadata) and 1 KiB per signal. */
export function verifyBodyLimit(maxSignals: number): number {
  return 16 * 1024 + maxSignals * 1024;
}

export interface VerifyRoutesOptions {
  /**
   * The verification-key hashes this service trusts for a circuit id: its own circuits and every model it compiled
   * and set up itself. A bundle carries its own vkey, and whoever made a key can prove anything under it, so only a
   * bundle whose key is one of these can be `valid`; an empty list means the key is not pinned.
   */
  trustedVkeyHashes(circuitId: string): Promise<readonly string[]>;
  /** Runs the verification off the event loop (prover/verify-pool.ts). */
  verifier: BundleVerifier;
  /** Default DEFAULT_VERIFY_MAX_SIGNALS. */
  maxSignals?: number;
  /** The app's own body limit: the route's is the smaller of this and verifyBodyLimit(maxSignals). */
  appBodyLimit?: number;
}

const bool = { type: 'boolean' } as const;

/** The 200 answer of POST /v1/verify (VerifyReport in prover/verify.ts). */
export const verifyReportSchema = {
  description: 'The verdict',
  type: 'object',
  required: ['valid', 'pinned', 'vkeyHash', 'checks'],
  additionalProperties: false,
  properties: {
    valid: { type: 'boolean', description: 'Every check passed and the key is pinned (one this service trusts for the circuit)' },
    pinned: {
      type: 'boolean',
      description:
        "The bundle's verification key is one this service made for its circuit (membership, or a model it compiled). " +
        'A proof under an unpinned key proves nothing: whoever made a key can prove anything under it',
    },
    vkeyHash: {
      type: 'string',
      pattern: '^[0-9a-f]{64}$',
      description: 'sha256 of the canonical JSON of the key the proof was checked against (κ·G2 of a committed-input key included)',
    },
    checks: {
      type: 'object',
      description: 'Each check: snarkjs and @noble/curves pairing checks (they must agree), the key pin, and the commitment',
      required: ['snarkjs', 'noble', 'vkeyHash'],
      additionalProperties: false,
      properties: {
        snarkjs: bool,
        noble: bool,
        vkeyHash: { type: 'boolean', description: 'The embedded key matches its hash and is a key this service trusts for the circuit' },
        commitment: {
          type: 'boolean',
          description:
            'Committed-input bundles (Pedersen model weights): the proof of knowledge of W, e(K, G2) = e(W, κ·G2); LogUp bundles: of D too',
        },
        challenge: { type: 'boolean', description: 'LogUp bundles (vkey.zkai_lookup): the statement signal α equals H(D)' },
      },
    },
    reason: { type: 'string' },
    reasonCode: {
      type: 'string',
      enum: ['VERIFIER_DISAGREEMENT', 'VKEY_MISMATCH', 'COMMITMENT_INVALID', 'CHALLENGE_MISMATCH', 'PROOF_INVALID', 'KEY_NOT_PINNED'],
      description: 'Why not valid: KEY_NOT_PINNED when every proof check passes but the key is not one this service knows for the circuit',
    },
  },
} as const;

/** The 200 answer of GET /v1/circuits/:circuitId/keys. */
export const trustedKeysSchema = {
  description: 'The keys this service trusts for the circuit',
  type: 'object',
  required: ['circuitId', 'vkeyHashes'],
  additionalProperties: false,
  properties: {
    circuitId: { type: 'string' },
    vkeyHashes: {
      type: 'array',
      items: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      description: 'sha256 of the canonical JSON of each trusted verification key; empty when the service knows none for this circuit',
    },
  },
} as const;

/** Counts read from the (schema-checked) body before parseBundle, so an oversized bundle costs nothing. */
function refuseOversized(body: unknown, max: number): void {
  const b = body as { publicSignals?: unknown; vkey?: { nPublic?: unknown; IC?: unknown } } | null;
  const counts = [
    Array.isArray(b?.publicSignals) ? b.publicSignals.length : 0,
    typeof b?.vkey?.nPublic === 'number' ? b.vkey.nPublic : 0,
    Array.isArray(b?.vkey?.IC) ? b.vkey.IC.length - 1 : 0,
  ];
  const n = Math.max(...counts);
  if (n > max) {
    throw new ZkaiError('BODY_TOO_LARGE', `the bundle has ${n} public signals; this service verifies at most ${max}`, { limit: max });
  }
}

/** Verify a proof bundle off chain (snarkjs and an independent @noble/curves pairing check) against a pinned key. */
export const verifyRoutes: FastifyPluginAsync<VerifyRoutesOptions> = async (app, opts) => {
  const maxSignals = opts.maxSignals ?? DEFAULT_VERIFY_MAX_SIGNALS;
  const bodyLimit = Math.min(opts.appBodyLimit ?? Number.POSITIVE_INFINITY, verifyBodyLimit(maxSignals));
  app.post<{ Body: unknown }>(
    '/v1/verify',
    {
      bodyLimit,
      // Public: anyone may check a proof against the keys this service trusts.
      config: { validationErrorCode: 'BAD_BUNDLE', public: true },
      schema: {
        security: [],
        tags: ['proofs'],
        summary: 'Verify a proof bundle',
        description:
          'An invalid proof is a 200 with valid:false, a reason and a reasonCode; a body that is not a proof bundle is a 400 BAD_BUNDLE. ' +
          "valid:true needs the bundle's verification key to be pinned: one this service made for the bundle's circuit (its membership " +
          'circuit, or a model it compiled); any other key answers pinned:false (reasonCode KEY_NOT_PINNED, or VKEY_MISMATCH when the ' +
          `service knows another key for that circuit). At most ${maxSignals} public signals (${bodyLimit} bytes): more is 413 ` +
          'BODY_TOO_LARGE. The check runs on a worker thread; 429 QUEUE_FULL when too many wait.',
        body: { $ref: 'ProofBundle#' },
        response: { 200: verifyReportSchema, ...errorResponses(400, 413, 415, 429, 500) },
      },
    },
    async (request) => {
      refuseOversized(request.body, maxSignals);
      // parseBundle first (strict, throws BAD_BUNDLE; no curve arithmetic) to learn which circuit's keys to insist on.
      const bundle = parseBundle(request.body);
      const trusted = await opts.trustedVkeyHashes(bundle.circuitId);
      return opts.verifier.verify(bundle, { trustedVkeyHashes: [...trusted] });
    },
  );

  app.get<{ Params: { circuitId: string } }>(
    '/v1/circuits/:circuitId/keys',
    {
      // Public: the same pins /v1/verify applies, so a verifier elsewhere (the web console) can apply them itself.
      config: { public: true },
      schema: {
        security: [],
        tags: ['proofs'],
        summary: 'The verification keys trusted for a circuit',
        description:
          'The hashes of the verification keys /v1/verify trusts for this circuit id (its membership circuit, or a model it compiled ' +
          'and set up). The web console pins a bundle to these and checks the proof in the browser.',
        params: {
          type: 'object',
          required: ['circuitId'],
          additionalProperties: false,
          properties: { circuitId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } },
        },
        response: { 200: trustedKeysSchema, ...errorResponses(400, 500) },
      },
    },
    async (request) => {
      const { circuitId } = request.params;
      return { circuitId, vkeyHashes: [...(await opts.trustedVkeyHashes(circuitId))] };
    },
  );
};
