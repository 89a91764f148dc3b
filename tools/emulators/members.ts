const DIGEST = /^[0-9a-f]{64}$/;

/**
 * How an emulated audience stores one member row: digests shortened to their first 16 hex
 * characters (64 bits), other values kept whole. Ten million multi-key rows then fit in well
 * under 2 GB, and tests compute the same key for the rows they expect.
 */
export function memberKey(row: readonly string[]): string {
  let key = '';
  for (let i = 0; i < row.length; i += 1) {
    const value = row[i];
    if (i > 0) key += '|';
    key += value.length === 64 && DIGEST.test(value) ? value.slice(0, 16) : value;
  }
  return key;
}

/** The members of one audience, with an order-independent checksum that benchmarks compare in O(1). */
export class MemberSet {
  private readonly keys = new Set<string>();
  private sumA = 0;
  private sumB = 0;

  get size(): number {
    return this.keys.size;
  }

  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.fold(key, 1);
    return true;
  }

  delete(key: string): boolean {
    if (!this.keys.delete(key)) return false;
    this.fold(key, -1);
    return true;
  }

  clear(): void {
    this.keys.clear();
    this.sumA = 0;
    this.sumB = 0;
  }

  replaceWith(other: MemberSet): void {
    this.clear();
    for (const key of other.keys) this.add(key);
  }

  page(offset: number, limit: number): string[] {
    const out: string[] = [];
    let i = 0;
    for (const key of this.keys) {
      if (i++ < offset) continue;
      if (out.length >= limit) break;
      out.push(key);
    }
    return out;
  }

  checksum(): string {
    return checksumOf(this.size, this.sumA, this.sumB);
  }

  private fold(key: string, sign: 1 | -1): void {
    const [a, b] = hashPair(key);
    this.sumA = (this.sumA + sign * a) >>> 0;
    this.sumB = (this.sumB + sign * b) >>> 0;
  }
}

/** The checksum a set of distinct member keys would have; streams, for comparing expected audiences. */
export function checksumOfKeys(keys: Iterable<string>): string {
  let size = 0;
  let a = 0;
  let b = 0;
  for (const key of keys) {
    const [x, y] = hashPair(key);
    a = (a + x) >>> 0;
    b = (b + y) >>> 0;
    size += 1;
  }
  return checksumOf(size, a, b);
}

function checksumOf(size: number, a: number, b: number): string {
  return `${size}:${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}

/** Two independent 32-bit FNV-1a style hashes of a string. */
function hashPair(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i += 1) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return [a >>> 0, b >>> 0];
}
