/**
 * The records sidecar's bytes (dataset.ts recordLine, one JSON line per record), written straight into a Buffer.
 * Why: building a million JSON strings, joining them and encoding the result cost ~4 µs a record here (string
 * allocation and garbage collection), more than the native engine's two Poseidon hashes per record; copying each
 * field's bytes costs a few hundred nanoseconds. Byte for byte recordLine(r) + '\n' (record-lines.test.ts):
 * a field with a character JSON.stringify would escape or encode (", \, control, non-ASCII) is written from
 * JSON.stringify itself.
 */
import type { DatasetRecord } from './records.ts';

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const ID = latin1('{"id":');
const CONTRIBUTOR = latin1(',"contributor":');
const CONTENT = latin1(',"contentHash":');
const WEIGHT = latin1(',"weight":"');
const END = latin1('"}\n');
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Printable ASCII but " and \\: the characters JSON.stringify writes as they are, one byte each. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(size, 1024));
  }

  /** Room for n more bytes (doubling: amortised copies). */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  bytes(b: Buffer): void {
    this.room(b.length);
    for (let i = 0; i < b.length; i++) this.buf[this.pos++] = b[i]!;
  }

  /** s as JSON.stringify writes it: raw between quotes when no character needs escaping or encoding. */
  jsonString(s: string): void {
    if (!PLAIN.test(s)) {
      const json = JSON.stringify(s);
      this.room(Buffer.byteLength(json));
      this.pos += this.buf.write(json, this.pos, 'utf8');
      return;
    }
    this.room(s.length + 2);
    this.buf[this.pos++] = 0x22;
    this.pos += this.buf.write(s, this.pos, 'latin1');
    this.buf[this.pos++] = 0x22;
  }

  /** The decimal digits of w (bigint's toString, without a string for the usual weights below 2^53). */
  decimal(w: bigint): void {
    if (w < 0n || w > MAX_SAFE) {
      const text = w.toString();
      this.room(text.length);
      this.pos += this.buf.write(text, this.pos, 'latin1');
      return;
    }
    let x = Number(w);
    let digits = 1;
    for (let t = x; t >= 10; t = Math.floor(t / 10)) digits++;
    this.room(digits);
    for (let i = digits - 1; i >= 0; i--) {
      this.buf[this.pos + i] = 0x30 + (x % 10);
      x = Math.floor(x / 10);
    }
    this.pos += digits;
  }
}

/** recordLine(r) + '\n' for each record, concatenated: the records sidecar (or a chunk of it). */
export function recordLinesBuffer(records: readonly DatasetRecord[]): Buffer {
  const w = new Writer(records.length * 200);
  for (const r of records) {
    w.bytes(ID);
    w.jsonString(r.id);
    w.bytes(CONTRIBUTOR);
    w.jsonString(r.contributor);
    w.bytes(CONTENT);
    w.jsonString(r.contentHash);
    w.bytes(WEIGHT);
    w.decimal(r.weight);
    w.bytes(END);
  }
  return w.buf.subarray(0, w.pos);
}
