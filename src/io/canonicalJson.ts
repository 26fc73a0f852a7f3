/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), no whitespace, arrays in
 * order, `undefined` members dropped. Two JSON values that are equal as data give the
 * same string, so hashes over it do not depend on key order or formatting.
 */
export function canonicalJson(value: unknown): string {
  return write(value);
}

function write(v: unknown): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : write(x))).join(',')}]`;
  if (typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write(obj[k])}`).join(',')}}`;
  }
  return 'null';
}

function show(v: unknown): string {
  const s = v === undefined ? '(none)' : canonicalJson(v);
  return s.length > 70 ? `${s.slice(0, 67)}...` : s;
}

/**
 * The first difference between two JSON values as 'path: a vs b' ('spec.seed: 0 vs 1',
 * 'checkpoints[1]: "ab12..." vs "cd34..."'); null when they are equal.
 */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (canonicalJson(a) === canonicalJson(b)) return null;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path || '(value)'}: ${a.length} entries vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
  } else if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
  }
  return `${path || '(value)'}: ${show(a)} vs ${show(b)}`;
}
