// Writable caches with several tasks at once (capacity > 1): a cache another task has mounted gives the
// second task a copy of its own, and both unmount without failing.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryCaches } from './caches.ts';

const log = { info: () => {}, warn: () => {} };

/** A cache directory and two task directories; `a` and `b` are where each task mounts the cache. */
async function twoTasks() {
  const root = mkdtempSync(join(tmpdir(), 'caches-'));
  const caches = await DirectoryCaches.load(join(root, 'caches'));
  await mkdir(join(root, 't1'));
  await mkdir(join(root, 't2'));
  return { root, caches, a: join(root, 't1', 'cache'), b: join(root, 't2', 'cache') };
}

describe('DirectoryCaches with concurrent tasks', () => {
  it('mounts a fresh copy for a second task and keeps one copy afterwards', async () => {
    const { root, caches, a, b } = await twoTasks();
    await caches.mount('shared', a, log);
    writeFileSync(join(a, 'from-t1'), '1');
    await caches.mount('shared', b, log);
    expect(readdirSync(b)).toEqual([]); // not the first task's files
    writeFileSync(join(b, 'from-t2'), '2');
    await caches.unmount('shared', a, log);
    await caches.unmount('shared', b, log);
    // The first task's copy is the cache; the second's is gone.
    const c = join(root, 't1', 'again');
    await caches.mount('shared', c, log);
    expect(readdirSync(c)).toEqual(['from-t1']);
    expect(Object.keys(caches.entries)).toEqual(['shared']);
  });

  it('keeps the concurrent copy when the original was purged meanwhile', async () => {
    const { root, caches, a, b } = await twoTasks();
    await caches.mount('shared', a, log);
    await caches.mount('shared', b, log);
    writeFileSync(join(b, 'from-t2'), '2');
    await caches.purge('shared', a);
    await caches.unmount('shared', b, log);
    const c = join(root, 't1', 'again');
    await caches.mount('shared', c, log);
    expect(readdirSync(c)).toEqual(['from-t2']);
  });
});
