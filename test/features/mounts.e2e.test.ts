// Mounts end to end: the real tc-worker process against the mock Queue, content served by the mock's
// fixture-files endpoint and by a dependency task's artifact. One worker serves the whole batch; tasks
// that must run in order are chained with task.dependencies.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import taskcluster from 'taskcluster-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarBuffer, zipBuffer } from '../../reference/mounts/test-archives.ts';
import { type Harness, lastRun, PROVISIONER, runWorker, startHarness, taskLog } from '../reference/harness.ts';
import { noSandboxReason } from '../helpers/sandbox.ts';

const posix = process.platform !== 'win32';
const sh = (script: string) => ['/bin/sh', '-c', script];
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let h: Harness;
let worker: { code: number | null; stderr: string };
const ids: Record<string, string> = {};

beforeAll(async () => {
  if (!posix) return;
  h = await startHarness({
    files: {
      'hello.txt': 'hello world\n',
      'tree.tar.gz': zlib.gzipSync(tarBuffer([{ name: 'd/f.txt', content: 'from tar\n' }])),
      'tree.zip': zipBuffer([{ name: 'z/g.txt', content: 'from zip\n' }]),
      'tree.tar.zst': zlib.zstdCompressSync(tarBuffer([{ name: 's.txt', content: 'from zstd\n' }])),
      'slip.zip': zipBuffer([{ name: '../../../../slipped.txt', content: 'x' }]),
      'corrupt.zip': 'not a zip at all',
    },
  });
  const files = `${h.mock.rootUrl}/fixture-files`;
  const task = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    h.createTask({ maxRunTime: 30, ...payload }, extra);
  const cacheScopes = { scopes: ['generic-worker:cache:e2e-cache'] };

  ids.producer = await task({
    command: [sh('mkdir -p out && echo produced > out/result.txt')],
    artifacts: [{ type: 'file', path: 'out/result.txt', name: 'public/result.txt' }],
  });
  ids.mounts = await task(
    {
      command: [
        sh('cat hello.txt ro/d/f.txt rz/z/g.txt rs/s.txt dep.txt raw.txt b64.txt && echo persisted > cache/state'),
      ],
      mounts: [
        { file: 'hello.txt', content: { url: `${files}/hello.txt`, sha256: sha('hello world\n') } },
        { directory: 'ro', content: { url: `${files}/tree.tar.gz` }, format: 'tar.gz' },
        { directory: 'rz', content: { url: `${files}/tree.zip` }, format: 'zip' },
        { directory: 'rs', content: { url: `${files}/tree.tar.zst` }, format: 'tar.zst' },
        { file: 'raw.txt', content: { raw: 'raw text\n' } },
        { file: 'b64.txt', content: { base64: Buffer.from('base64 text\n').toString('base64') } },
        { file: 'dep.txt', content: { taskId: ids.producer, artifact: 'public/result.txt' } },
        { directory: 'cache', cacheName: 'e2e-cache' },
      ],
    },
    { ...cacheScopes, dependencies: [ids.producer] },
  );
  ids.cacheAgain = await task(
    { command: [sh('cat cache/state')], mounts: [{ directory: 'cache', cacheName: 'e2e-cache' }] },
    { ...cacheScopes, dependencies: [ids.mounts] },
  );
  ids.purge = await task(
    {
      command: [sh('cat cache/state; exit 5')],
      mounts: [{ directory: 'cache', cacheName: 'e2e-cache' }],
      onExitStatus: { purgeCaches: [5] },
    },
    { ...cacheScopes, dependencies: [ids.cacheAgain] },
  );
  ids.afterPurge = await task(
    { command: [sh('ls -A cache; echo listed')], mounts: [{ directory: 'cache', cacheName: 'e2e-cache' }] },
    { ...cacheScopes, dependencies: [ids.purge], requires: 'all-resolved' },
  );
  ids.aborted = await task(
    {
      command: [sh('echo x > cache/aborted-mark; sleep 30')],
      maxRunTime: 1,
      mounts: [{ directory: 'cache', cacheName: 'e2e-cache' }],
    },
    { ...cacheScopes, dependencies: [ids.afterPurge], requires: 'all-resolved' },
  );
  ids.afterAbort = await task(
    { command: [sh('ls -A cache; echo listed')], mounts: [{ directory: 'cache', cacheName: 'e2e-cache' }] },
    { ...cacheScopes, dependencies: [ids.aborted], requires: 'all-resolved' },
  );
  ids.notDependency = await task(
    {
      command: [sh('echo never')],
      mounts: [{ file: 'x', content: { taskId: ids.producer, artifact: 'public/result.txt' } }],
    },
    { dependencies: [ids.cacheAgain] },
  );
  ids.noScope = await task(
    { command: [sh('echo never')], mounts: [{ directory: 'c', cacheName: 'e2e-cache' }] },
    { dependencies: [ids.cacheAgain] },
  );
  ids.badSha = await task({
    command: [sh('echo never')],
    mounts: [{ file: 'h', content: { url: `${files}/hello.txt`, sha256: 'a'.repeat(64) } }],
  });
  ids.notFound = await task({
    command: [sh('echo never')],
    mounts: [{ file: 'h', content: { url: `${files}/missing.txt` } }],
  });
  ids.corrupt = await task({
    command: [sh('echo never')],
    mounts: [{ directory: 'd', content: { url: `${files}/corrupt.zip` }, format: 'zip' }],
  });
  ids.zipSlip = await task({
    command: [sh('echo never')],
    mounts: [{ directory: 'd', content: { url: `${files}/slip.zip` }, format: 'zip' }],
  });
  ids.outside = await task({
    command: [sh('echo never')],
    mounts: [{ file: '../../outside.txt', content: { url: `${files}/hello.txt` } }],
  });
  worker = await runWorker(h, h.config({ numberOfTasksToRun: Object.keys(ids).length }), 90_000);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe.skipIf(!posix)('mounts (tc-worker e2e)', () => {
  it('serves every task and exits 0', () => {
    expect(worker.code, worker.stderr.slice(-2000)).toBe(0);
  });

  it('mounts url files (sha256 checked), tar.gz and zip directories, a dependency artifact and a cache', async () => {
    expect(await lastRun(h, ids.mounts!)).toMatchObject({ state: 'completed' });
    const log = await taskLog(h, ids.mounts!);
    expect(log).toContain('hello world\nfrom tar\nfrom zip\nfrom zstd\nproduced\nraw text\nbase64 text\n');
    expect(log).toMatch(/\[mounts\] Downloaded 12 bytes with SHA256 [0-9a-f]{64} from url /);
    expect(log).toMatch(/\[mounts\] No existing writable directory cache 'e2e-cache' - creating /);
  });

  it('keeps writable cache content for the next task, from the download cache and caches dirs', async () => {
    expect(await lastRun(h, ids.cacheAgain!)).toMatchObject({ state: 'completed' });
    const log = await taskLog(h, ids.cacheAgain!);
    expect(log).toMatch(/\[mounts\] Moving existing writable directory cache e2e-cache/);
    expect(log).toContain('persisted\n');
    expect(existsSync(join(h.dir, 'caches', 'directory-caches.json'))).toBe(true);
    expect(readdirSync(join(h.dir, 'downloads')).length).toBeGreaterThan(1);
  });

  it('purges the caches of a task whose last exit code is in onExitStatus.purgeCaches', async () => {
    expect(await lastRun(h, ids.purge!)).toMatchObject({ state: 'failed' });
    const log = await taskLog(h, ids.purge!);
    expect(log).toContain('persisted\n');
    expect(log).toContain(
      '[mounts] Purging caches since last command had exit code 5 which is listed in task.Payload.OnExitStatus.PurgeCaches array',
    );
    const after = await taskLog(h, ids.afterPurge!);
    expect(await lastRun(h, ids.afterPurge!), after).toMatchObject({ state: 'completed' });
    expect(after).toMatch(/No existing writable directory cache 'e2e-cache' - creating/);
    expect(after).not.toContain('state\n');
  });

  it('purges the caches of an aborted task (maxRunTime)', async () => {
    const log = await taskLog(h, ids.aborted!);
    expect(await lastRun(h, ids.aborted!), log).toMatchObject({ state: 'failed' });
    expect(log).toContain(
      '[mounts] Purging caches since the task was aborted and may have left them in an inconsistent state',
    );
    const after = await taskLog(h, ids.afterAbort!);
    expect(await lastRun(h, ids.afterAbort!), after).toMatchObject({ state: 'completed' });
    expect(after).toContain('listed\n');
    expect(after).not.toContain('aborted-mark');
  });

  it('resolves payload problems malformed-payload', async () => {
    for (const id of [ids.notDependency!, ids.noScope!, ids.outside!]) {
      expect(await lastRun(h, id)).toMatchObject({ state: 'exception', reasonResolved: 'malformed-payload' });
    }
    expect(await taskLog(h, ids.notDependency!)).toContain(
      `[mounts] task.dependencies needs to include ${ids.producer} since one or more of its artifacts are mounted`,
    );
    expect(await taskLog(h, ids.noScope!)).toContain('generic-worker:cache:e2e-cache');
  });

  it('fails the task on a bad sha256, a 404, a corrupt or hostile archive, and never writes outside', async () => {
    for (const id of [ids.badSha!, ids.notFound!, ids.corrupt!, ids.zipSlip!]) {
      const log = await taskLog(h, id);
      expect(await lastRun(h, id), log).toMatchObject({ state: 'failed', reasonResolved: 'failed' });
      expect(log).not.toContain('never\n');
    }
    expect(await taskLog(h, ids.badSha!)).toMatch(/but task definition explicitly requires a{64}/);
    expect(await taskLog(h, ids.notFound!)).toMatch(/\[mounts\] Could not fetch from url .*HTTP 404/);
    expect(await taskLog(h, ids.corrupt!)).toMatch(/not a valid zip file/);
    expect(await taskLog(h, ids.zipSlip!)).toMatch(
      /invalid relative path: ..\/..\/..\/..\/slipped.txt|refusing unsafe archive/,
    );
    expect(existsSync(join(h.dir, 'slipped.txt'))).toBe(false);
  });
});

describe.skipIf(!posix)('requiredDiskSpaceMegabytes (tc-worker e2e)', () => {
  it('exits 69 before claiming when even empty caches leave too little space, and says so', async () => {
    const hd = await startHarness();
    try {
      const id = await hd.createTask({ command: [sh('echo never')], maxRunTime: 30 });
      // More than any disk has: nothing to evict, so the worker must refuse to claim.
      const r = await runWorker(hd, hd.config({ requiredDiskSpaceMegabytes: 1_000_000_000 }), 30_000);
      expect(r.code, r.stderr.slice(-1000)).toBe(69);
      expect(r.stderr).toMatch(
        /Not able to free up enough disk space - require 1048576000000000 bytes, but only have \d+ bytes - and nothing left to delete/,
      );
      expect(await lastRun(hd, id)).toMatchObject({ state: 'pending' });
    } finally {
      await hd.close();
    }
  });
});

describe.skipIf(!posix)('purge-cache service (tc-worker e2e, two worker processes sharing cachesDir)', () => {
  it('keeps a cache across worker restarts until the purge-cache service asks for it to be purged', async () => {
    const hp = await startHarness();
    try {
      const scopes = ['generic-worker:cache:purged-cache'];
      const mounts = [{ directory: 'cache', cacheName: 'purged-cache' }];
      const write = await hp.createTask(
        { command: [sh('echo old > cache/state')], maxRunTime: 30, mounts },
        { scopes },
      );
      expect((await runWorker(hp, hp.config(), 30_000)).code).toBe(0);
      const keep = await hp.createTask({ command: [sh('cat cache/state')], maxRunTime: 30, mounts }, { scopes });
      expect((await runWorker(hp, hp.config(), 30_000)).code).toBe(0);
      expect(await taskLog(hp, keep)).toContain('old\n');

      const purgeCache = new taskcluster.PurgeCache({ rootUrl: hp.mock.rootUrl, credentials: hp.mock.admin });
      await purgeCache.purgeCache(`${PROVISIONER}/${hp.workerType}`, { cacheName: 'purged-cache' });
      const fresh = await hp.createTask(
        { command: [sh('ls -A cache; echo listed')], maxRunTime: 30, mounts },
        { scopes },
      );
      expect((await runWorker(hp, hp.config(), 30_000)).code).toBe(0);
      const log = await taskLog(hp, fresh);
      expect(await lastRun(hp, write)).toMatchObject({ state: 'completed' });
      expect(log).toMatch(/\[mounts\] Purging cache purged-cache as requested by the purge-cache service/);
      expect(log).toMatch(/No existing writable directory cache 'purged-cache' - creating/);
      expect(log).not.toContain('state\n');
      const calls = hp.mock.trace.entries().filter((e) => e.route === 'purgeRequests');
      expect(calls.length).toBe(3);
      expect(calls.every((e) => e.status === 200)).toBe(true);
    } finally {
      await hp.close();
    }
  }, 120_000);
});

describe.skipIf(noSandboxReason !== undefined)('mounts with the OS-user sandbox (tc-worker e2e, needs root)', () => {
  it('hands mounted files and caches to the task user, and the cache survives into the next task user', async () => {
    const hs = await startHarness({ files: { 'hello.txt': 'hello sandbox\n' } });
    try {
      chmodSync(hs.dir, 0o755); // task users must reach their task directory
      const files = `${hs.mock.rootUrl}/fixture-files`;
      const mounts = [
        { file: 'in/hello.txt', content: { url: `${files}/hello.txt` } },
        { directory: 'cache', cacheName: 'sandboxed-cache' },
      ];
      const scopes = ['generic-worker:cache:sandboxed-cache'];
      const first = await hs.createTask(
        { command: [sh('id -un; cat in/hello.txt && echo "$(id -un)" > cache/writer')], maxRunTime: 30, mounts },
        { scopes },
      );
      const second = await hs.createTask(
        {
          command: [sh('echo "written by $(cat cache/writer), read by $(id -un)"; touch cache/again')],
          maxRunTime: 30,
          mounts,
        },
        { scopes, dependencies: [first] },
      );
      const r = await runWorker(hs, hs.config({ runTasksAsCurrentUser: false, numberOfTasksToRun: 2 }), 60_000);
      const log1 = await taskLog(hs, first);
      expect(await lastRun(hs, first), log1).toMatchObject({ state: 'completed' });
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      expect(log1).toContain('hello sandbox\n');
      const log2 = await taskLog(hs, second);
      expect(await lastRun(hs, second), log2).toMatchObject({ state: 'completed' });
      const m = /written by (task_\S+), read by (task_\S+)/.exec(log2);
      expect(m, log2).not.toBeNull();
      expect(m![1]).not.toBe(m![2]);
    } finally {
      await hs.close();
    }
  }, 120_000);
});
