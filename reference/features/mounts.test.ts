import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarBuffer, zipBuffer } from '../mounts/test-archives.ts';
import { newQueue } from '../queue.ts';
import type { TaskContext } from '../task-run.ts';
import type { Outcome } from './feature.ts';
import { freeDiskSpaceBeforeClaim, mountsFeature, parseMounts } from './mounts.ts';

// Creating symlinks needs extra privileges on Windows; the cases that make them run on POSIX.
const noSymlinks = process.platform === 'win32';

const DEP = 'aaaaaaaaSZaaaaaaaaaaaQ';
let work: string;
let server: Server;
let rootUrl: string;
const files = new Map<string, Buffer>();
let purgeRequests: { cacheName: string; before: string }[] = [];
let purgeCalls = 0;
let flakyCalls = 0;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'tc-mounts-'));
  files.set('/files/hello.txt', Buffer.from('hello world\n'));
  files.set('/files/tree.tar.gz', zlib.gzipSync(tarBuffer([{ name: 'd/f.txt', content: 'in tar\n' }])));
  files.set('/files/tree.zip', zipBuffer([{ name: 'z.txt', content: 'in zip\n' }]));
  files.set('/files/corrupt.zip', Buffer.from('not a zip'));
  files.set(`/api/queue/v1/task/${DEP}/artifacts/public%2Fbuild%2Fout.txt`, Buffer.from('artifact body\n'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/api/purge-cache/v1/purge-cache/')) {
      purgeCalls++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ cacheHit: false, requests: purgeRequests }));
      return;
    }
    if (url.pathname === '/flaky') {
      // Two 503s, then the content: downloads retry server errors.
      flakyCalls++;
      res.statusCode = flakyCalls <= 2 ? 503 : 200;
      res.end(flakyCalls <= 2 ? 'busy' : 'eventually\n');
      return;
    }
    const body = files.get(url.pathname);
    res.statusCode = body ? 200 : 404;
    res.end(body ?? 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rootUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(work, { recursive: true, force: true });
});

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
let n = 0;

function makeContext(payload: any, extra: Partial<TaskContext> = {}, workerDir = path.join(work, 'worker')) {
  const taskDir = path.join(work, `task-${n++}`);
  const lines: string[] = [];
  const config = {
    rootUrl,
    clientId: 'c',
    accessToken: 'a',
    provisionerId: 'prov',
    workerType: 'wt',
    downloadsDir: path.join(workerDir, 'downloads'),
    cachesDir: path.join(workerDir, 'caches'),
    tasksDir: path.join(workerDir, 'tasks'),
    requiredDiskSpaceMegabytes: 1,
  };
  const ctx = {
    config,
    taskId: 'T',
    runId: 0,
    task: { dependencies: [DEP], payload, scopes: [] },
    payload,
    taskDir,
    log: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`WARN ${m}`) },
    credentials: { queue: newQueue(rootUrl, { clientId: 'c', accessToken: 'a' }) },
    platform: {},
    ...extra,
  } as unknown as TaskContext;
  return { ctx, lines, taskDir, config };
}

async function run(payload: any, outcome: Partial<Outcome> = {}, exitCode = 0) {
  const c = makeContext(payload);
  await mkdir(c.taskDir, { recursive: true });
  const tf = mountsFeature.forTask(c.ctx);
  let error: any;
  try {
    await tf.start();
    c.ctx.exitCode = exitCode;
  } catch (e) {
    error = e;
  }
  const after = await readdir(c.taskDir, { recursive: true });
  let stopError: any;
  await tf.stop({ resolution: 'completed', aborted: false, ...outcome }).catch((e) => {
    stopError = e;
  });
  return { ...c, error, stopError, after: after.sort(), tf };
}

describe('parseMounts', () => {
  it('chooses the kind by key and rejects bad entries with where', () => {
    expect(parseMounts([{ file: 'a', content: { raw: 'x' } }])[0]!.kind).toBe('file');
    expect(() => parseMounts([{ nothing: 1 }])).toThrow(/Unrecognised mount entry/);
    expect(() => parseMounts([{ directory: 'd', content: { url: 'http://x/' }, format: 'rar' }])).toThrow(
      /mounts\[0\]\.format: archive format "rar" is not supported/,
    );
    expect(() => parseMounts([{ file: 'a', content: { sha256: 'nothex' } }])).toThrow(/sha256/);
  });
});

describe('mounts feature', () => {
  it('mounts files from url, raw, base64 and a dependency artifact, verifying sha256', async () => {
    const r = await run({
      mounts: [
        { file: 'sub/hello.txt', content: { url: `${rootUrl}/files/hello.txt`, sha256: sha('hello world\n') } },
        { file: 'raw.txt', content: { raw: 'raw text' } },
        { file: 'b64.bin', content: { base64: Buffer.from('decoded').toString('base64') } },
        { file: 'art.txt', content: { taskId: DEP, artifact: 'public/build/out.txt' } },
      ],
    });
    expect(r.error).toBeUndefined();
    expect(await readFile(path.join(r.taskDir, 'sub/hello.txt'), 'utf8')).toBe('hello world\n');
    expect(await readFile(path.join(r.taskDir, 'raw.txt'), 'utf8')).toBe('raw text');
    expect(await readFile(path.join(r.taskDir, 'b64.bin'), 'utf8')).toBe('decoded');
    expect(await readFile(path.join(r.taskDir, 'art.txt'), 'utf8')).toBe('artifact body\n');
    expect(r.lines.join('\n')).toMatch(/\[mounts\] Downloaded 12 bytes with SHA256 [0-9a-f]{64} from url /);
    // Second use comes from the download cache, re-verified.
    const again = await run({
      mounts: [{ file: 'h.txt', content: { url: `${rootUrl}/files/hello.txt`, sha256: sha('hello world\n') } }],
    });
    expect(again.lines.join('\n')).toMatch(/Found existing download for urlcontent:.* with correct SHA256/);
  });

  it('re-downloads a cached file whose content was tampered with', async () => {
    const url = `${rootUrl}/files/hello.txt`;
    const first = makeContext({ mounts: [{ file: 'a', content: { url } }] }, {}, path.join(work, 'tamper'));
    await mkdir(first.taskDir, { recursive: true });
    await mountsFeature.forTask(first.ctx).start();
    const downloads = path.join(work, 'tamper', 'downloads');
    const stored = (await readdir(downloads)).find((f) => f !== 'file-caches.json')!;
    await writeFile(path.join(downloads, stored), 'tampered');
    const second = makeContext(
      { mounts: [{ file: 'a', content: { url, sha256: sha('hello world\n') } }] },
      {},
      path.join(work, 'tamper'),
    );
    await mkdir(second.taskDir, { recursive: true });
    await mountsFeature.forTask(second.ctx).start();
    expect(second.lines.join('\n')).toMatch(/Found existing download of urlcontent:.* so deleting it/);
    expect(await readFile(path.join(second.taskDir, 'a'), 'utf8')).toBe('hello world\n');
  });

  it('refuses a config where downloadsDir and cachesDir are the same directory', async () => {
    const same = path.join(work, 'same');
    await expect(
      mountsFeature.initialise!({ ...makeContext({}).config, downloadsDir: same, cachesDir: `${same}/` } as any),
    ).rejects.toThrow(/downloadsDir and cachesDir must be different directories/);
  });

  it('drops partial downloads left by a crash when the cache is loaded', async () => {
    const dir = path.join(work, 'partial');
    await mkdir(path.join(dir, 'downloads'), { recursive: true });
    await writeFile(path.join(dir, 'downloads', 'half-written'), 'partial');
    const c = makeContext({ mounts: [{ file: 'a', content: { raw: 'x' } }] }, {}, dir);
    await mkdir(c.taskDir, { recursive: true });
    await mountsFeature.forTask(c.ctx).start();
    const left = await readdir(path.join(dir, 'downloads'));
    expect(left).not.toContain('half-written');
    expect(left.filter((f) => f !== 'file-caches.json')).toHaveLength(1);
  });

  it('extracts tar.gz and zip read-only directories', async () => {
    const r = await run({
      mounts: [
        { directory: 'ro', content: { url: `${rootUrl}/files/tree.tar.gz` }, format: 'tar.gz' },
        { directory: 'rz', content: { url: `${rootUrl}/files/tree.zip` }, format: 'zip' },
      ],
    });
    expect(r.error).toBeUndefined();
    expect(await readFile(path.join(r.taskDir, 'ro/d/f.txt'), 'utf8')).toBe('in tar\n');
    expect(await readFile(path.join(r.taskDir, 'rz/z.txt'), 'utf8')).toBe('in zip\n');
  });

  it('resolves payload problems as malformed-payload', async () => {
    const notDep = await run({ mounts: [{ file: 'a', content: { taskId: 'bbbbbbbbSZaaaaaaaaaaaQ', artifact: 'x' } }] });
    expect(notDep.error).toMatchObject({ reason: 'malformed-payload' });
    expect(notDep.error.message).toContain('task.dependencies needs to include bbbbbbbbSZaaaaaaaaaaaQ');
    const outside = await run({ mounts: [{ file: '../../escape.txt', content: { raw: 'x' } }] });
    expect(outside.error).toMatchObject({ reason: 'malformed-payload' });
    expect(outside.error.message).toMatch(/points outside/);
    const abs = await run({ mounts: [{ file: '/etc/evil', content: { raw: 'x' } }] });
    expect(abs.error.message).toMatch(/absolute path/);
  });

  it('retries a download that got server errors', async () => {
    const r = await run({ mounts: [{ file: 'f', content: { url: `${rootUrl}/flaky` } }] });
    expect(r.error).toBeUndefined();
    expect(flakyCalls).toBe(3);
    expect(await readFile(path.join(r.taskDir, 'f'), 'utf8')).toBe('eventually\n');
  });

  it('resolves runtime problems as failed', async () => {
    const missing = await run({ mounts: [{ file: 'a', content: { url: `${rootUrl}/files/nope` } }] });
    expect(missing.error).toMatchObject({ reason: 'failed' });
    expect(missing.error.message).toMatch(/\[mounts\] Could not fetch from url .*HTTP 404/);
    const badSha = await run({
      mounts: [{ file: 'a', content: { url: `${rootUrl}/files/hello.txt`, sha256: 'a'.repeat(64) } }],
    });
    expect(badSha.error).toMatchObject({ reason: 'failed' });
    expect(badSha.error.message).toMatch(/but task definition explicitly requires a{64}/);
    const corrupt = await run({
      mounts: [{ directory: 'd', content: { url: `${rootUrl}/files/corrupt.zip` }, format: 'zip' }],
    });
    expect(corrupt.error).toMatchObject({ reason: 'failed' });
    expect(corrupt.error.message).toMatch(/not a valid zip file/);
  });

  it.skipIf(noSymlinks)(
    'refuses a file mount over a directory, and a mount through a symlink leading out',
    async () => {
      const c = makeContext({
        mounts: [{ file: 'dir', content: { raw: 'x' } }],
      });
      await mkdir(path.join(c.taskDir, 'dir'), { recursive: true });
      await expect(mountsFeature.forTask(c.ctx).start()).rejects.toMatchObject({ reason: 'failed' });
      const l = makeContext({ mounts: [{ file: 'link/x', content: { raw: 'x' } }] });
      await mkdir(l.taskDir, { recursive: true });
      await symlink(work, path.join(l.taskDir, 'link'));
      await expect(mountsFeature.forTask(l.ctx).start()).rejects.toMatchObject({ reason: 'malformed-payload' });
    },
  );

  it('persists writable caches across tasks, requires their scope, and purges on purgeCaches or abort', async () => {
    const cache = { directory: 'cache', cacheName: 'my-cache' };
    const first = makeContext({ mounts: [cache] });
    await mkdir(first.taskDir, { recursive: true });
    const tf = mountsFeature.forTask(first.ctx);
    expect(tf.requiredScopes).toEqual([['generic-worker:cache:my-cache']]);
    await tf.start();
    await writeFile(path.join(first.taskDir, 'cache', 'state'), 'kept');
    await tf.stop({ resolution: 'completed', aborted: false });
    expect(first.lines.join('\n')).toMatch(/No existing writable directory cache 'my-cache' - creating/);

    const second = await run({ mounts: [cache] });
    expect(second.after).toContain(path.join('cache', 'state'));
    expect(second.lines.join('\n')).toMatch(/Moving existing writable directory cache my-cache/);

    const purged = await run({ mounts: [cache], onExitStatus: { purgeCaches: [3] } }, {}, 3);
    expect(purged.lines.join('\n')).toMatch(/Purging caches since last command had exit code 3/);
    const fresh = await run({ mounts: [cache] });
    expect(fresh.after).not.toContain(path.join('cache', 'state'));
    await writeFile(path.join(fresh.taskDir, 'x'), '');

    const aborted = await run({ mounts: [cache] }, { aborted: true });
    expect(aborted.lines.join('\n')).toMatch(/Purging caches since the task was aborted/);
  });

  it('recreates a cache whose directory vanished instead of failing the task', async () => {
    const dir = path.join(work, 'vanish');
    const cache = { directory: 'c', cacheName: 'vanishing' };
    const a = makeContext({ mounts: [cache] }, {}, dir);
    await mkdir(a.taskDir, { recursive: true });
    const tf = mountsFeature.forTask(a.ctx);
    await tf.start();
    await tf.stop({ resolution: 'completed', aborted: false });
    for (const d of await readdir(path.join(dir, 'caches'))) {
      if (d !== 'directory-caches.json') await rm(path.join(dir, 'caches', d), { recursive: true });
    }
    const b = makeContext({ mounts: [cache] }, {}, dir);
    await mkdir(b.taskDir, { recursive: true });
    await mountsFeature.forTask(b.ctx).start();
    expect(b.lines.join('\n')).toMatch(/Writable directory cache 'vanishing' at .* is missing - creating a new one/);
    expect(await readdir(path.join(b.taskDir, 'c'))).toEqual([]);
  });

  it('honours purge-cache service requests', async () => {
    const cache = { directory: 'c', cacheName: 'purge-me' };
    const a = makeContext({ mounts: [cache] }, {}, path.join(work, 'purge'));
    await mkdir(a.taskDir, { recursive: true });
    const tf = mountsFeature.forTask(a.ctx);
    await tf.start();
    await writeFile(path.join(a.taskDir, 'c', 'old'), 'x');
    await tf.stop({ resolution: 'completed', aborted: false });
    purgeRequests = [{ cacheName: 'purge-me', before: new Date(Date.now() + 10 * 60_000).toISOString() }];
    const calls = purgeCalls;
    const b = makeContext({ mounts: [cache] }, {}, path.join(work, 'purge'));
    await mkdir(b.taskDir, { recursive: true });
    await mountsFeature.forTask(b.ctx).start();
    purgeRequests = [];
    expect(purgeCalls).toBeGreaterThan(calls);
    expect(b.lines.join('\n')).toMatch(/Purging cache purge-me as requested by the purge-cache service/);
    expect(await readdir(path.join(b.taskDir, 'c'))).toEqual([]);
  });

  it('frees download caches, then caches, before claiming, and says when it cannot', async () => {
    const dir = path.join(work, 'gc');
    const a = makeContext(
      {
        mounts: [
          { file: 'f', content: { raw: 'gc me' } },
          { directory: 'c', cacheName: 'gc-cache' },
        ],
      },
      {},
      dir,
    );
    await mkdir(a.taskDir, { recursive: true });
    const tf = mountsFeature.forTask(a.ctx);
    await tf.start();
    await tf.stop({ resolution: 'completed', aborted: false });
    let calls = 0;
    // None free at first; each eviction "frees" half a megabyte of the one required.
    const result = await freeDiskSpaceBeforeClaim(a.config as any, async () => calls++ * 512 * 1024);
    expect(result.evictedDownloads).toEqual(['Raw content: gc me']);
    expect(result.evictedCaches).toEqual(['gc-cache']);
    await expect(freeDiskSpaceBeforeClaim(a.config as any, async () => 0)).rejects.toThrow(
      /Not able to free up enough disk space - require 1048576 bytes, but only have 0 bytes - and nothing left to delete/,
    );
  });
});
