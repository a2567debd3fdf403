import type { FastifyPluginAsync } from 'fastify';
import { parseBundle } from '../../prover/bundle.ts';
import { verifyBundle } from '../../prover/verify.ts';
import { errorResponses } from '../schemas.ts';

export interface VerifyRoutesOptions {
  /**
   * The verification-key hash this service trusts for a circuit id, if it knows the circuit. A
   * bundle carries its own vkey, so without a pinned hash a forger could bring their own setup:
   * for circuits we serve, the bundle's vkey must be ours.
   */
  trustedVkeyHash(circuitId: string): string | undefined;
}

/** Verify a proof bundle off chain (snarkjs and an independent @noble/curves pairing check). */
export const verifyRoutes: FastifyPluginAsync<VerifyRoutesOptions> = async (app, opts) => {
  app.post<{ Body: unknown }>(
    '/v1/verify',
    {
      // Public: anyone may check a proof; the bundle carries everything needed.
      config: { validationErrorCode: 'BAD_BUNDLE', public: true },
      schema: {
        security: [],
        tags: ['proofs'],
        summary: 'Verify a proof bundle',
        description:
          'An invalid proof is a 200 with valid:false and a reason; a body that is not a proof bundle is a 400 BAD_BUNDLE. ' +
          'For circuits this service serves, the bundle verification key must be the service key (checks.vkeyHash).',
        body: { $ref: 'ProofBundle#' },
        response: {
          200: {
            description: 'The verdict',
            type: 'object',
            required: ['valid', 'checks'],
            additionalProperties: false,
            properties: {
              valid: { type: 'boolean' },
              checks: {
                type: 'object',
                description: 'Each check: snarkjs and @noble/curves pairing checks (they must agree), and the vkey hash',
                required: ['snarkjs', 'noble', 'vkeyHash'],
                additionalProperties: false,
                properties: {
                  snarkjs: { type: 'boolean' },
                  noble: { type: 'boolean' },
                  vkeyHash: {
                    type: 'boolean',
                    description: 'The embedded key matches its hash and, for circuits this service serves, is the service key',
                  },
                },
              },
              reason: { type: 'string' },
            },
          },
          ...errorResponses(400, 413, 415, 500),
        },
      },
    },
    async (request) => {
      // parseBundle first (strict, throws BAD_BUNDLE) to learn which circuit's key to insist on.
      const bundle = parseBundle(request.body);
      const expectedVkeyHash = opts.trustedVkeyHash(bundle.circuitId);
      return verifyBundle(bundle, expectedVkeyHash ? { expectedVkeyHash } : {});
    },
  );
};
