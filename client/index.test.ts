import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { JobPhase } from '../jobs/jobs.ts';
import { JobStore } from '../jobs/jobs.ts';
import { type MembershipCircuit, prepareMembershipCircuit } from '../prover/membership.ts';
import type { ReportedPhase, ReportedStep } from '../prover/progress.ts';
import { releaseVerifierResources } from '../prover/verify.ts';
import { buildApp } from '../server/app.ts';
import { type FromSchema, type Job, type Model, ZkaiApiError, ZkaiClient } from './index.ts';

/** Compile-time equality: `Equal<A, B>` is true only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typeIs = <T extends true>(_proof?: T): void => {};

describe('FromSchema: the types the schemas describe', () => {
  test('required, optional, enum, const, anyOf, nullable, $ref and additionalProperties', () => {
    const schema = {
      type: 'object',
      required: ['id', 'state'],
      additionalProperties: false,
      properties: {
        id: { type: 'string' },
        state: { type: 'string', enum: ['a', 'b'] },
        n: { type: 'integer' },
        kind: { const: 'x' },
        either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        maybe: { type: ['number', 'null'] },
        list: { type: 'array', items: { $ref: 'Ref#' } },
        map: { type: 'object', additionalProperties: { type: 'boolean' } },
      },
    } as const;
    type Got = FromSchema<typeof schema, { Ref: { type: 'object'; required: ['r']; properties: { r: { type: 'boolean' } } } }>;
    typeIs<
      Equal<
        Got,
        {
          id: string;
          state: 'a' | 'b';
          n?: number;
          kind?: 'x';
          either?: string | number;
          maybe?: number | null;
          list?: { r: boolean }[];
          map?: Record<string, boolean>;
        }
      >
    >();
  });

  test('the API types follow server/schemas.ts', () => {
    typeIs<Equal<Job['state'], 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'>>();
    typeIs<Equal<Job['links'], { job: string; bundle?: string; model?: string; dataset?: string }>>();
    typeIs<Equal<Model['weights'], 'private-pedersen' | 'private-committed' | 'public-constants' | undefined>>();
    // The phases and steps a job reports are prover/progress.ts's closed sets, through the schema (issue 16).
    typeIs<Equal<Job['phase'], JobPhase | undefined>>();
    typeIs<Equal<NonNullable<Job['progress']>['phase'], ReportedPhase>>();
    typeIs<Equal<NonNullable<Job['progress']>['step'], ReportedStep | undefined>>();
    // A wrong field is a compile error, so this file would not type-check if the schema lost `constraints`.
    const constraints: Model['constraints'] = { total: 1, perLayer: [{ layer: 'fc', kind: 'dense', constraints: 1 }] };
    assert.equal(constraints?.total, 1);
  });
});

describe('ZkaiClient against the service', () => {
  let tmp: string;
  let membership: MembershipCircuit;
  let store: JobStore;
  let app: FastifyInstance;
  let client: ZkaiClient;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'zkai-client-test-'));
    membership = await prepareMembershipCircuit(4);
    store = new JobStore(':memory:');
    app = await buildApp({ store, runner: { pump() {} }, membership, datasetsDir: path.join(tmp, 'datasets'), auth: { mode: 'off' } });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    client = new ZkaiClient({ baseUrl: address });
  });

  after(async () => {
    await app?.close();
    store?.close();
    await rm(tmp, { recursive: true, force: true });
    await releaseVerifierResources();
  });

  test('lists, trusted keys and typed errors', async () => {
    assert.deepEqual(await client.listDatasets(), []);
    assert.deepEqual(await client.listModels(), []);
    assert.deepEqual(await client.listJobs({ limit: 5 }), []);
    const keys = await client.trustedKeys(membership.circuit.id);
    assert.deepEqual(keys, { circuitId: membership.circuit.id, vkeyHashes: [membership.setup.vkeyHash] });
    assert.deepEqual((await client.trustedKeys('no-such-circuit')).vkeyHashes, []);

    const unknown = await client.job('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);
    assert.ok(unknown instanceof ZkaiApiError);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.code, 'UNKNOWN_JOB');
    const noChain = await client.chain().catch((e: unknown) => e);
    assert.ok(noChain instanceof ZkaiApiError && noChain.code === 'NOT_FOUND', String(noChain));
    const bad = await client.verify({ format: 'nope' }).catch((e: unknown) => e);
    assert.ok(bad instanceof ZkaiApiError && bad.status === 400 && bad.code === 'BAD_BUNDLE', String(bad));
  });
});
