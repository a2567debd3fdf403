/**
 * Tests' helpers for several API nodes in one process sharing model files in PostgreSQL (pg-model-files.ts): a node
 * is a data directory of its own, which the circuit code resolves through ZKAI_HOME while the node works. Shared by
 * pg-model-files.test.ts and pg-contribute.test.ts.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { type CompiledRecord, type SharedModelFiles, sharedModelFiles } from './pg-model-files.ts';

/** Runs `work` with ZKAI_HOME = `home` (undefined: unset), then puts back what it was. */
export async function withHome<T>(home: string | undefined, work: () => Promise<T>): Promise<T> {
  const was = process.env.ZKAI_HOME;
  if (home === undefined) delete process.env.ZKAI_HOME;
  else process.env.ZKAI_HOME = home;
  try {
    return await work();
  } finally {
    if (was === undefined) delete process.env.ZKAI_HOME;
    else process.env.ZKAI_HOME = was;
  }
}

/** `work` as the API node whose data directory is `home` (made if absent: its models folder and circuit cache). */
export async function asNodeAt<T>(pool: pg.Pool, home: string, work: (files: SharedModelFiles, home: string) => Promise<T>): Promise<T> {
  await mkdir(home, { recursive: true });
  const files = sharedModelFiles(pool, { models: path.join(home, 'models'), circuits: path.join(home, 'circuits') });
  return withHome(home, () => work(files, home));
}

/** Model `id`'s `compiled` row in zkai_model_files. */
export async function compiledRecord(pool: pg.Pool, id: string): Promise<CompiledRecord> {
  const { rows } = await pool.query<{ record: string }>("SELECT record FROM zkai_model_files WHERE model_id = $1 AND stage = 'compiled'", [
    id,
  ]);
  return JSON.parse(rows[0]!.record) as CompiledRecord;
}
