// Small helpers shared by the models.

export const iso = (ms: number): string => new Date(ms).toISOString();

/** Postgres renders timestamptz as `2026-11-23T20:07:43.116+00:00`; claimWork's top-level takenUntil leaks it. */
export const pgTime = (ms: number): string => iso(ms).replace(/Z$/, '+00:00');

// Stored task definitions and request bodies may be nested up to MAX_JSON_DEPTH levels: comparing and
// copying them must not recurse (structuredClone overflows the stack at about 1,600 levels).

/** Deep equality of JSON values, key order ignored (as Postgres jsonb compares), with an explicit stack. */
export function deepEqual(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (typeof x !== typeof y || x === null || y === null || typeof x !== 'object') return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x)) {
      const yy = y as unknown[];
      if (x.length !== yy.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], yy[i]]);
      continue;
    }
    const xo = x as Record<string, unknown>;
    const yo = y as Record<string, unknown>;
    const xk = Object.keys(xo).filter((k) => xo[k] !== undefined);
    const yk = Object.keys(yo).filter((k) => yo[k] !== undefined);
    if (xk.length !== yk.length) return false;
    for (const k of xk) {
      if (!Object.hasOwn(yo, k)) return false;
      stack.push([xo[k], yo[k]]);
    }
  }
  return true;
}

/** A deep copy of a JSON value (undefined members dropped, as JSON would), with an explicit stack. */
export function cloneJson<T>(value: T): T {
  const copy = (v: unknown): unknown => (v === null || typeof v !== 'object' ? v : Array.isArray(v) ? [] : {});
  const root = copy(value);
  const stack: [unknown, unknown][] = root !== value ? [[value, root]] : [];
  while (stack.length > 0) {
    const [from, to] = stack.pop()!;
    if (Array.isArray(from)) {
      const out = to as unknown[];
      for (const item of from) {
        const c = copy(item === undefined ? null : item);
        out.push(c);
        if (c !== item && c !== null) stack.push([item, c]);
      }
    } else {
      const out = to as Record<string, unknown>;
      for (const [k, item] of Object.entries(from as Record<string, unknown>)) {
        if (item === undefined) continue;
        const c = copy(item);
        out[k] = c;
        if (c !== item) stack.push([item, c]);
      }
    }
  }
  return root as T;
}

/**
 * The deepest nesting of arrays and objects in JSON text, scanning without parsing (strings skipped), so a
 * hostile body is measured before anything recursive touches it. Stops counting once past `limit`.
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: skip to its closing quote, past escapes
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Order like the real Queue's Postgres (en_US collation ignores punctuation first, then breaks ties). */
const collator = new Intl.Collator('en-US', { ignorePunctuation: true, sensitivity: 'variant' });
export function pgCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
