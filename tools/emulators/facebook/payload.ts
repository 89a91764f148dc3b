import { badParameter } from './graph-error';

export const MULTI_KEYS = new Set(['EXTERN_ID', 'EMAIL', 'PHONE', 'GEN', 'DOBY', 'DOBM', 'DOBD', 'LN', 'FN', 'FI', 'CT', 'ST', 'ZIP', 'MADID', 'COUNTRY']);
/** Legacy single-key schemas take a flat `data` list. */
export const SINGLE_KEYS = new Set(['EMAIL_SHA256', 'PHONE_SHA256', 'MOBILE_ADVERTISER_ID', 'EXTERN_ID']);
const UNHASHED = new Set(['EXTERN_ID', 'MADID', 'MOBILE_ADVERTISER_ID']);
const DIGEST = /^[0-9a-f]{64}$/;
export const MAX_ROWS = 10_000;

export interface ParsedPayload {
  schema: string[];
  style: 'MULTI_HASHES' | 'HASHES_OR_USER_IDS';
  validRows: string[][];
  invalidCount: number;
  /** Keyed by the offending data, as Meta reports them. */
  invalidSamples: Record<string, string>;
}

/** Validates a `payload` as the Graph API does: schema keys, row width, row count, hashed values. */
export function parsePayload(raw: unknown): ParsedPayload {
  if (raw === undefined || raw === null || raw === '') throw badParameter('The parameter payload is required');
  let payload: unknown = raw;
  if (typeof raw === 'string') {
    try {
      payload = JSON.parse(raw);
    } catch {
      throw badParameter('Param payload must be a JSON-encoded object');
    }
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw badParameter('Param payload must be a JSON-encoded object');
  const { schema, data } = payload as { schema?: unknown; data?: unknown };
  let keys: string[];
  let style: ParsedPayload['style'];
  if (typeof schema === 'string') {
    if (!SINGLE_KEYS.has(schema)) throw badParameter(`Invalid schema: ${schema}`);
    keys = [schema];
    style = 'HASHES_OR_USER_IDS';
  } else if (Array.isArray(schema) && schema.length > 0) {
    for (const key of schema) {
      if (typeof key !== 'string' || !MULTI_KEYS.has(key)) throw badParameter(`Invalid schema field: ${String(key)}`);
    }
    if (new Set(schema).size !== schema.length) throw badParameter('The schema contains a key more than once');
    keys = schema as string[];
    style = 'MULTI_HASHES';
  } else {
    throw badParameter('The parameter payload.schema is required');
  }
  // Graph refuses missing data with code 100 (facebook/facebook-ruby-business-sdk#63); Meta documents no
  // empty upload or replace, and clients close a replace session with a row rather than with none.
  if (!Array.isArray(data) || data.length === 0) throw badParameter('Data is missing or does not match schema');
  if (data.length > MAX_ROWS) throw badParameter(`Too many entries in payload.data (${data.length}); at most ${MAX_ROWS} per request`);

  const validRows: string[][] = [];
  const invalidSamples: Record<string, string> = {};
  let invalidCount = 0;
  const flat = typeof schema === 'string';
  for (let r = 0; r < data.length; r += 1) {
    const row: unknown = flat ? [data[r]] : data[r];
    if (!Array.isArray(row) || row.length !== keys.length) {
      throw badParameter(`Row ${r} of payload.data has ${Array.isArray(row) ? row.length : 'no'} fields but the schema has ${keys.length}`);
    }
    let ok = true;
    let filled = 0;
    for (let k = 0; k < keys.length; k += 1) {
      const value = row[k];
      if (typeof value !== 'string') {
        ok = false;
        break;
      }
      if (value === '') continue;
      filled += 1;
      if (!UNHASHED.has(keys[k]) && !DIGEST.test(value)) {
        ok = false;
        if (Object.keys(invalidSamples).length < 10) invalidSamples[value] = `${keys[k]}: not a SHA-256 hex digest`;
      }
    }
    if (ok && filled > 0) validRows.push(row as string[]);
    else invalidCount += 1;
  }
  return { schema: keys, style, validRows, invalidCount, invalidSamples };
}
