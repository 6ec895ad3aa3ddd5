// Small helpers shared by the models.

export const iso = (ms: number): string => new Date(ms).toISOString();

/** Postgres renders timestamptz as `2026-11-23T20:07:43.116+00:00`; claimWork's top-level takenUntil leaks it. */
export const pgTime = (ms: number): string => iso(ms).replace(/Z$/, '+00:00');

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

/** Order like the real Queue's Postgres (en_US collation ignores punctuation first, then breaks ties). */
const collator = new Intl.Collator('en-US', { ignorePunctuation: true, sensitivity: 'variant' });
export function pgCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
