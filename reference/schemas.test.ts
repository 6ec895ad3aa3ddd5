// The compiled-validator cache of schemas.ts (used under the bins): a validator from the cache answers
// exactly as one ajv compiled, errors and filled-in defaults included.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compile } from './schemas.ts';

const KEY = Symbol.for('tc-worker-kit.cache-dir');
const slot = globalThis as Record<symbol, unknown>;
const dirs: string[] = [];
afterEach(() => {
  delete slot[KEY];
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const payloads: unknown[] = [
  { command: [['/bin/true']], maxRunTime: 60 },
  { command: [['true']], maxRunTime: 'sixty' },
  { command: 'not a list', maxRunTime: 60, extra: 1 },
  { maxRunTime: -1, artifacts: [{ type: 'file' }] },
  {},
];

const configs: unknown[] = [
  { rootURL: 'http://x', clientId: 'c', accessToken: 'a', workerId: 'w', workerType: 't', provisionerId: 'p' },
  { clientId: 7, nope: true },
];

function answers(schema: string, docs: unknown[], opts: { useDefaults?: boolean } = {}) {
  const v = compile(schema, opts);
  return docs.map((d) => {
    const copy = structuredClone(d);
    const ok = v(copy);
    return { ok, errors: v.errors ?? null, after: copy };
  });
}

describe('compile', () => {
  it('a cached validator answers as a freshly compiled one (errors and defaults too)', () => {
    const plain = {
      payload: answers('payload/posix.json', payloads),
      config: answers('config.schema.json', configs, { useDefaults: true }),
    };
    const dir = mkdtempSync(join(tmpdir(), 'tc-schemas-test-'));
    dirs.push(dir);
    slot[KEY] = dir;
    const miss = {
      payload: answers('payload/posix.json', payloads),
      config: answers('config.schema.json', configs, { useDefaults: true }),
    };
    const files = readdirSync(dir).filter((f) => f.startsWith('ajv-') && f.endsWith('.cjs'));
    expect(files).toHaveLength(2);
    const hit = {
      payload: answers('payload/posix.json', payloads),
      config: answers('config.schema.json', configs, { useDefaults: true }),
    };
    expect(miss).toEqual(plain);
    expect(hit).toEqual(plain);
    expect(plain.config[0]!.ok).toBe(true);
    expect((plain.config[0]!.after as Record<string, unknown>).claimWorkIntervalSecs).toBe(5);
    expect(plain.payload.filter((a) => !a.ok).length).toBeGreaterThan(2);
  });

  it('options are part of the key: with and without defaults are two entries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-schemas-test-'));
    dirs.push(dir);
    slot[KEY] = dir;
    const doc = structuredClone(configs[0]) as Record<string, unknown>;
    compile('config.schema.json')(doc);
    expect(doc.claimWorkIntervalSecs).toBeUndefined();
    compile('config.schema.json', { useDefaults: true })(doc);
    expect(doc.claimWorkIntervalSecs).toBe(5);
    expect(readdirSync(dir)).toHaveLength(2);
  });
});
