import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ZkaiError } from '../../common/errors.ts';

/** One data record as a contributor submits it. */
export interface DatasetRecord {
  /** Unique within the dataset; any non-empty string up to 256 characters. */
  id: string;
  /** Royalty recipient: 0x-prefixed 20-byte address, stored lower-case. */
  contributor: string;
  /** Hash of the record's content (e.g. sha256 of the file): 0x-prefixed 32 bytes, lower-case. */
  contentHash: string;
  /** Share of the royalty pot, a positive integer below 2^64. */
  weight: bigint;
}

export const MAX_WEIGHT = (1n << 64n) - 1n;

const FIELD_ALIASES: Record<string, keyof DatasetRecord> = {
  id: 'id',
  record_id: 'id',
  recordid: 'id',
  contributor: 'contributor',
  address: 'contributor',
  contenthash: 'contentHash',
  content_hash: 'contentHash',
  hash: 'contentHash',
  weight: 'weight',
};

/**
 * Which column (CSV header or JSONL key) holds each record field, for files whose names differ from zkai's:
 * `--columns id=record_id,content_hash=content_sha256`. Fields not named here are found by the usual names
 * (FIELD_ALIASES). Keys are zkai's field names (id, contributor, content_hash, weight; contentHash too).
 */
export type ColumnMap = Partial<Record<keyof DatasetRecord, string>>;

const COLUMN_KEYS: Record<string, keyof DatasetRecord> = {
  id: 'id',
  contributor: 'contributor',
  content_hash: 'contentHash',
  contenthash: 'contentHash',
  weight: 'weight',
};

/** The field names users write (--columns, CSV headers). */
const COLUMN_NAME: Record<keyof DatasetRecord, string> = {
  id: 'id',
  contributor: 'contributor',
  contentHash: 'content_hash',
  weight: 'weight',
};

/** Parse `field=column,...` (the CLI's --columns; the HTTP API takes the same text or an object). */
export function parseColumnMap(spec: string | Record<string, string>): ColumnMap {
  const pairs: [string, string][] =
    typeof spec === 'string'
      ? spec
          .split(',')
          .filter((part) => part.trim() !== '')
          .map((part) => {
            const eq = part.indexOf('=');
            if (eq < 0) throw new ZkaiError('BAD_INPUT', `column mapping ${JSON.stringify(part)} must be field=column`);
            return [part.slice(0, eq), part.slice(eq + 1)];
          })
      : Object.entries(spec);
  const map: ColumnMap = {};
  const used = new Set<string>();
  for (const [rawKey, rawColumn] of pairs) {
    const field = COLUMN_KEYS[rawKey.trim().toLowerCase()];
    if (!field)
      throw new ZkaiError(
        'BAD_INPUT',
        `column mapping: unknown field ${JSON.stringify(rawKey)} (fields: id, contributor, content_hash, weight)`,
      );
    const column = typeof rawColumn === 'string' ? rawColumn.trim() : '';
    if (column === '' || column.length > 256)
      throw new ZkaiError('BAD_INPUT', `column mapping: ${rawKey} needs a column name of 1 to 256 characters`);
    if (map[field] !== undefined) throw new ZkaiError('BAD_INPUT', `column mapping names ${rawKey} twice`);
    if (used.has(column)) throw new ZkaiError('BAD_INPUT', `column mapping uses the column ${JSON.stringify(column)} for two fields`);
    used.add(column);
    map[field] = column;
  }
  if (Object.keys(map).length === 0) throw new ZkaiError('BAD_INPUT', 'column mapping is empty (e.g. id=record_id,content_hash=sha256)');
  return map;
}

/**
 * Rename a raw record's keys to zkai's field names: mapped columns first, then the usual names for the fields the
 * mapping leaves out. A mapped column that is missing leaves its field absent, so validation names it.
 */
function fieldsOf(raw: Record<string, unknown>, columns?: ColumnMap): Partial<Record<keyof DatasetRecord, unknown>> {
  const fields: Partial<Record<keyof DatasetRecord, unknown>> = {};
  const mappedColumns = new Set(Object.values(columns ?? {}));
  for (const [key, value] of Object.entries(raw)) {
    if (mappedColumns.has(key.trim())) continue;
    const name = FIELD_ALIASES[key.trim().toLowerCase()];
    if (name && columns?.[name] === undefined) fields[name] = value;
  }
  for (const [field, column] of Object.entries(columns ?? {}) as [keyof DatasetRecord, string][]) {
    const key = Object.keys(raw).find((k) => k.trim() === column);
    if (key !== undefined) fields[field] = raw[key];
  }
  return fields;
}

function bad(where: string, message: string): ZkaiError {
  return new ZkaiError('BAD_DATASET', `${where}: ${message}`);
}

/** Validate and normalise one record; `where` names its position for error messages. */
export function normaliseRecord(raw: Record<string, unknown>, where: string, columns?: ColumnMap): DatasetRecord {
  const fields = fieldsOf(raw, columns);
  const id = typeof fields.id === 'number' ? String(fields.id) : fields.id;
  if (typeof id !== 'string' || id.trim() === '' || id.length > 256)
    throw bad(where, 'record id must be a non-empty string of at most 256 characters');
  const contributor = String(fields.contributor ?? '').trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(contributor))
    throw bad(where, `contributor must be a 0x-prefixed 20-byte hex address, got ${JSON.stringify(contributor)}`);
  let contentHash = String(fields.contentHash ?? '').trim();
  if (/^[0-9a-fA-F]{64}$/.test(contentHash)) contentHash = `0x${contentHash}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(contentHash))
    throw bad(where, `content hash must be 32 bytes of hex, got ${JSON.stringify(contentHash)}`);
  const weightText = String(fields.weight ?? '').trim();
  if (!/^[0-9]{1,20}$/.test(weightText)) throw bad(where, `weight must be a positive integer, got ${JSON.stringify(weightText)}`);
  const weight = BigInt(weightText);
  if (weight === 0n || weight > MAX_WEIGHT) throw bad(where, `weight must be between 1 and 2^64-1, got ${weightText}`);
  return { id: id.trim(), contributor: contributor.toLowerCase(), contentHash: contentHash.toLowerCase(), weight };
}

/** Split one CSV line (RFC 4180 quoting, no embedded newlines). */
export function splitCsvLine(line: string, where: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur === '') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw bad(where, 'unterminated quoted field');
  out.push(cur);
  return out;
}

export type RecordFormat = 'csv' | 'jsonl';

export function formatOf(file: string): RecordFormat {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  throw new ZkaiError('BAD_DATASET', `${file}: unknown record format (use .csv, .jsonl or .ndjson)`);
}

/**
 * Parse records from CSV (header row: id, contributor, content_hash, weight) or JSONL text.
 * Errors name the line. Duplicate ids are rejected: an id is how a contributor finds their record.
 */
export function parseRecords(text: string, format: RecordFormat, source = 'input', columns?: ColumnMap): DatasetRecord[] {
  return collect(text.split(/\r?\n/), format, source, columns);
}

/** Same as parseRecords, streaming a file line by line (datasets can be large). */
export async function readRecordsFile(file: string, columns?: ColumnMap): Promise<DatasetRecord[]> {
  const format = formatOf(file);
  const lines: string[] = [];
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of rl) lines.push(line);
  } catch (err) {
    throw new ZkaiError('BAD_DATASET', `cannot read ${file}: ${(err as Error).message}`);
  }
  return collect(lines, format, file, columns);
}

/**
 * A parser of one record file's lines, in order: the CSV header first (it returns undefined for it and for blank lines),
 * then one record per line. Duplicate ids are the caller's to find (collect keeps a Set; a file too large for one is
 * checked by fingerprints, commit-file.ts).
 */
export function recordLineParser(
  format: RecordFormat,
  source: string,
  columns?: ColumnMap,
): (line: string, lineNo: number) => DatasetRecord | undefined {
  let header: string[] | undefined;
  return (line, lineNo) => {
    const where = `${source}:${lineNo}`;
    if (line.trim() === '') return undefined;
    let raw: Record<string, unknown>;
    if (format === 'csv') {
      const cells = splitCsvLine(line, where);
      if (!header) {
        header = cells.map((c) => c.trim());
        const found = fieldsOf(Object.fromEntries(header.map((h) => [h, h])), columns);
        const missing = (['id', 'contributor', 'contentHash', 'weight'] as const).filter((f) => found[f] === undefined);
        if (missing.length)
          throw bad(
            where,
            `CSV header has no column for ${missing.map((f) => (columns?.[f] ? `${COLUMN_NAME[f]} (mapped to ${JSON.stringify(columns[f])})` : COLUMN_NAME[f])).join(', ')}; ` +
              `got ${header.join(',')}. Name the columns id, contributor, content_hash, weight, or map yours with ` +
              '--columns id=<column>,content_hash=<column>,... (HTTP: "columns")',
          );
        return undefined;
      }
      if (cells.length !== header.length) throw bad(where, `expected ${header.length} fields, got ${cells.length}`);
      raw = Object.fromEntries(header.map((h, j) => [h, cells[j]]));
    } else {
      try {
        raw = JSON.parse(line);
      } catch {
        throw bad(where, 'not valid JSON');
      }
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad(where, 'each line must be a JSON object');
    }
    return normaliseRecord(raw, where, columns);
  };
}

export function duplicateIdError(where: string, id: string): ZkaiError {
  return bad(where, `duplicate record id ${JSON.stringify(id)}`);
}

function collect(lines: string[], format: RecordFormat, source: string, columns?: ColumnMap): DatasetRecord[] {
  const records: DatasetRecord[] = [];
  const seen = new Set<string>();
  const parse = recordLineParser(format, source, columns);
  lines.forEach((line, i) => {
    const record = parse(line, i + 1);
    if (!record) return;
    if (seen.has(record.id)) throw duplicateIdError(`${source}:${i + 1}`, record.id);
    seen.add(record.id);
    records.push(record);
  });
  if (records.length === 0) throw new ZkaiError('BAD_DATASET', `${source}: no records`);
  return records;
}
