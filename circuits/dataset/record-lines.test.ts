import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { recordLine } from './dataset.ts';
import { recordLinesBuffer } from './record-lines.ts';
import type { DatasetRecord } from './records.ts';

const hex = (n: number) => `0x${randomBytes(n).toString('hex')}`;

describe('recordLinesBuffer', () => {
  it('writes recordLine(r) + newline for every record, byte for byte, escaped and non-ASCII ids included', () => {
    const ids = [
      'rec-1',
      '',
      'a"b',
      'back\\slash',
      'tab\there',
      'nl\nid',
      '\u0000\u001f\u007f',
      'é',
      '数据-1',
      'rec-😀',
      '\ud800',
      'x'.repeat(300),
    ];
    const weights = [1n, 9n, 10n, 1000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n, 0n];
    const records: DatasetRecord[] = ids.map((id, i) => ({
      id,
      contributor: i % 3 ? hex(20) : hex(20).toUpperCase().replace('0X', '0x'),
      contentHash: hex(32),
      weight: weights[i % weights.length]!,
    }));
    for (let i = 0; i < 5000; i++)
      records.push({ id: `rec-${i}`, contributor: hex(20), contentHash: hex(32), weight: BigInt(1 + i * 7919) });
    const want = `${records.map(recordLine).join('\n')}\n`;
    assert.equal(recordLinesBuffer(records).toString('utf8'), want);
    assert.deepEqual(recordLinesBuffer(records), Buffer.from(want, 'utf8'));
    assert.equal(recordLinesBuffer([]).length, 0);
  });

  it('keeps each record to its four fields in order, as recordLine does, and the lines read back', () => {
    const extra = { weight: 5n, contentHash: hex(32), id: 'r', contributor: hex(20), note: 'not in the sidecar' } as DatasetRecord;
    const line = recordLinesBuffer([extra]).toString();
    assert.equal(line, `${recordLine(extra)}\n`);
    assert.deepEqual(Object.keys(JSON.parse(line)), ['id', 'contributor', 'contentHash', 'weight']);
  });
});
