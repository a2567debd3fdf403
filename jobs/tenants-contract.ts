// The behaviour every tenant and model store must show (TenantStoreApi, ModelCatalogApi), run by
// tenants-contract.test.ts against the embedded SQLite stores and PostgreSQL's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isZkaiError } from '../common/errors.ts';
import type { Catalogs } from './catalogs.ts';
import type { ModelRecord } from './models.ts';

const ROOT_A = `0x${'a1'.repeat(32)}`;
const ROOT_B = `0x${'b2'.repeat(32)}`;

/**
 * Registers the contract suite for one kind of store. `connect` opens a new connection to one shared, initially
 * empty store: the suite opens two, as two API nodes (or a node and `zkai admin`) would, and checks that what one
 * writes the other reads, and that the rules that must hold across nodes (one first key, one claim per tenant and
 * root, one model per id) hold across them.
 */
export function describeTenantsContract(
  name: string,
  connect: () => Promise<Catalogs>,
  opts: { skip?: false | string; teardown?: () => Promise<void> } = {},
): void {
  describe(`tenant and model store contract: ${name}`, { skip: opts.skip ?? false }, () => {
    let a: Catalogs;
    let b: Catalogs;
    before(async () => {
      a = await connect();
      b = await connect();
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await opts.teardown?.();
    });

    it('the first key is made once, however many nodes ask together, and never again (a revoked key counts)', async () => {
      const asks = Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).tenants.createFirstKey('default'));
      const made = (await Promise.all(asks)).filter((k) => k !== undefined);
      assert.equal(made.length, 1);
      assert.equal(await b.tenants.keyCount(), 1);
      assert.equal((await a.tenants.authenticate(made[0]!.key))?.tenant, 'default');
      await a.tenants.revokeKey(made[0]!.id);
      assert.equal(await b.tenants.createFirstKey('default'), undefined);
      assert.equal(await a.tenants.keyCount(), 1);
    });

    it('a key made on one node authenticates on the other, until either revokes it; listing is oldest first', async () => {
      const before = (await a.tenants.listKeys()).length;
      const k1 = await a.tenants.createKey('tenant-a');
      const k2 = await b.tenants.createKey('tenant-b');
      assert.match(k1.key, /^zkai_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(await b.tenants.authenticate(k1.key), { tenant: 'tenant-a', keyId: k1.id });
      assert.deepEqual(await a.tenants.authenticate(k2.key), { tenant: 'tenant-b', keyId: k2.id });
      const listed = (await b.tenants.listKeys()).slice(before);
      assert.deepEqual(
        listed.map((k) => [k.id, k.tenant, k.hint, k.createdAt]),
        [
          [k1.id, 'tenant-a', k1.hint, k1.createdAt],
          [k2.id, 'tenant-b', k2.hint, k2.createdAt],
        ],
      );
      assert.ok(listed.every((k) => !('key' in k) && k.revokedAt === undefined));

      const revoked = await b.tenants.revokeKey(k1.id);
      assert.equal(revoked?.id, k1.id);
      assert.ok(revoked?.revokedAt);
      assert.equal(await a.tenants.authenticate(k1.key), undefined);
      // Idempotent: the first revocation time is kept.
      assert.equal((await a.tenants.revokeKey(k1.id))?.revokedAt, revoked.revokedAt);
      assert.equal(await a.tenants.revokeKey('key_0000000000000000'), undefined);
      assert.equal((await a.tenants.authenticate(k2.key))?.tenant, 'tenant-b');
    });

    it('refuses malformed and unknown keys, and bad tenant names', async () => {
      const k = await a.tenants.createKey('tenant-c');
      for (const wrong of ['', 'zkai_', k.key.slice(0, -1), `${k.key}x`, k.key.toUpperCase(), `zkai_${'A'.repeat(43)}`])
        assert.equal(await b.tenants.authenticate(wrong), undefined, wrong);
      for (const bad of ['', 'Upper', '-lead', 'a b', 'x'.repeat(65), "o'brien"])
        await assert.rejects(
          async () => a.tenants.createKey(bad),
          (err: unknown) => isZkaiError(err) && err.code === 'BAD_INPUT',
          bad,
        );
    });

    it('dataset claims: once per tenant and root across nodes; each tenant sees only its own, newest first', async () => {
      const source = { name: 'request body (csv)', sha256: 'ab'.repeat(32) };
      const first = await a.tenants.claimDataset('tenant-a', ROOT_A.toUpperCase().replace('0X', '0x'), source);
      assert.equal(first.created, true);
      assert.deepEqual(first.claim.source, source);
      const again = await b.tenants.claimDataset('tenant-a', ROOT_A);
      assert.equal(again.created, false);
      assert.deepEqual(again.claim, first.claim, "the first claim's time and source are kept");
      const together = await Promise.all([a.tenants.claimDataset('tenant-b', ROOT_A), b.tenants.claimDataset('tenant-b', ROOT_A)]);
      assert.deepEqual(together.map((c) => c.created).sort(), [false, true]);
      assert.equal((await b.tenants.claimDataset('tenant-a', ROOT_B)).created, true);
      assert.deepEqual(await a.tenants.datasetsOf('tenant-a'), [ROOT_B, ROOT_A]);
      assert.deepEqual(await a.tenants.datasetsOf('tenant-a', 1), [ROOT_B]);
      assert.deepEqual(await b.tenants.datasetsOf('tenant-b'), [ROOT_A]);
      assert.deepEqual(await b.tenants.datasetsOf('tenant-z'), []);
      assert.equal(await b.tenants.datasetClaim('tenant-b', ROOT_B), undefined);
      assert.equal((await b.tenants.datasetClaim('tenant-b', ROOT_A))?.source, undefined);
    });

    it('models: added on one node, read and listed on the other by their tenant only; an id is used once', async () => {
      const model = (id: string, tenant: string, at: string): ModelRecord => ({
        id,
        tenant,
        name: `model ${id}`,
        compileJobId: `job-${id}`,
        createdAt: at,
      });
      const m1 = model('00000000-0000-4000-8000-000000000001', 'tenant-a', '2026-01-01T00:00:00.000Z');
      const m2 = model('00000000-0000-4000-8000-000000000002', 'tenant-a', '2026-01-01T00:00:00.000Z');
      const m3 = model('00000000-0000-4000-8000-000000000003', 'tenant-b', '2026-01-02T00:00:00.000Z');
      await a.models.add(m1);
      await b.models.add(m2);
      await a.models.add(m3);
      assert.deepEqual(await b.models.get('tenant-a', m1.id), m1);
      assert.equal(await b.models.get('tenant-b', m1.id), undefined, "another tenant's model is absent");
      assert.equal(await b.models.get('tenant-a', '00000000-0000-4000-8000-00000000dead'), undefined);
      // Newest first; made in the same millisecond, the later one first.
      assert.deepEqual(
        (await a.models.list('tenant-a')).map((m) => m.id),
        [m2.id, m1.id],
      );
      assert.deepEqual(
        (await a.models.list('tenant-a', 1)).map((m) => m.id),
        [m2.id],
      );
      assert.deepEqual(await b.models.list('tenant-b'), [m3]);
      await assert.rejects(async () => b.models.add({ ...m1, tenant: 'tenant-b' }));
      assert.equal(await b.models.get('tenant-b', m1.id), undefined);
    });
  });
}
