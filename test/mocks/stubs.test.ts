// The helpers beside the Queue: purge-cache requests, the superseder stub, fixture files, the store's signatures.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import slugid from 'slugid';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices } from '../../mocks/index.ts';
import { call } from './helpers.ts';

let mock: MockServices;
afterEach(() => mock?.close());

describe('mock stubs', () => {
  it('purge-cache: purgeCache then purgeRequests(since) for the pool', async () => {
    let now = Date.parse('2031-01-01T00:00:00.000Z');
    mock = await startMockServices({ now: () => now });
    const pool = encodeURIComponent('prov/wt-purge');
    const r = await call(mock.rootUrl, 'POST', `/api/purge-cache/v1/purge-cache/${pool}`, {
      creds: mock.admin,
      body: { cacheName: 'c1' },
    });
    expect(r.status).toBe(200);
    now += 1000;
    await call(mock.rootUrl, 'POST', `/api/purge-cache/v1/purge-cache/${pool}`, {
      creds: mock.admin,
      body: { cacheName: 'c2' },
    });
    const all = await call(mock.rootUrl, 'GET', `/api/purge-cache/v1/purge-cache/${pool}`, { creds: mock.admin });
    expect(all.body.requests.map((x: any) => x.cacheName)).toEqual(['c1', 'c2']);
    expect(all.body.requests[0]).toEqual({
      provisionerId: 'prov',
      workerType: 'wt-purge',
      workerPoolId: 'prov/wt-purge',
      cacheName: 'c1',
      before: '2031-01-01T00:00:00.000Z',
    });
    const since = await call(
      mock.rootUrl,
      'GET',
      `/api/purge-cache/v1/purge-cache/${pool}?since=2031-01-01T00:00:00.500Z`,
      { creds: mock.admin },
    );
    expect(since.body.requests.map((x: any) => x.cacheName)).toEqual(['c2']);
    // A public deployment's anonymous role grants purge-cache:purge-requests:* (anonymous-role.test.ts has more).
    const anon = await call(mock.rootUrl, 'GET', `/api/purge-cache/v1/purge-cache/${pool}`);
    expect(anon.status).toBe(200);
    await mock.close();
    mock = await startMockServices({ now: () => now, anonymousScopes: [] });
    expect((await call(mock.rootUrl, 'GET', `/api/purge-cache/v1/purge-cache/${pool}`)).status).toBe(403);
  });

  it('superseder: answers the configured list, or the task itself', async () => {
    mock = await startMockServices();
    const a = slugid.nice();
    mock.model.setSupersedes(a, [a, 'other']);
    expect((await call(mock.rootUrl, 'GET', `/superseder/${a}`)).body).toEqual({ supersedes: [a, 'other'] });
    const b = slugid.nice();
    expect((await call(mock.rootUrl, 'GET', `/superseder/${b}`)).body).toEqual({ supersedes: [b] });
  });

  it('fixture files: from a directory (never outside it) and from a map', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-mock-files-'));
    try {
      writeFileSync(join(dir, 'hello.txt'), 'hi there');
      mock = await startMockServices({ files: dir });
      const ok = await fetch(`${mock.rootUrl}/fixture-files/hello.txt`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await ok.text()).toBe('hi there');
      expect((await fetch(`${mock.rootUrl}/fixture-files/missing.txt`)).status).toBe(404);
      expect((await fetch(`${mock.rootUrl}/fixture-files/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
      await mock.close();
      mock = await startMockServices({ files: { 'a/b.json': '{"x":1}' } });
      expect(await (await fetch(`${mock.rootUrl}/fixture-files/a/b.json`)).json()).toEqual({ x: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('store: refuses unsigned, tampered and expired URLs, and PUTs without Content-Length', async () => {
    let now = Date.now();
    mock = await startMockServices({ now: () => now });
    const url = mock.store.url(mock.rootUrl, 'k/0/public/x', 'PUT', now + 1000);
    expect((await fetch(url.replace(/signature=[^&]+/, 'signature=AAAA'), { method: 'PUT', body: 'x' })).status).toBe(
      403,
    );
    expect((await fetch(url.replace('public/x', 'public/y'), { method: 'PUT', body: 'x' })).status).toBe(403);
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('x'));
        c.close();
      },
    });
    expect((await fetch(url, { method: 'PUT', body: chunked, duplex: 'half' } as RequestInit)).status).toBe(411);
    expect((await fetch(url, { method: 'PUT', body: 'payload' })).status).toBe(200);
    expect(mock.store.get('k/0/public/x')).toMatchObject({ size: 7 });
    now += 1001;
    expect((await fetch(url, { method: 'PUT', body: 'late' })).status).toBe(403);
  });

  it('worker-manager: shouldWorkerTerminate answers the flag set for that worker', async () => {
    mock = await startMockServices();
    const path = (pool: string) => `/api/worker-manager/v1/workers/${pool}/g/w1/should-terminate`;
    expect(
      (await call(mock.rootUrl, 'GET', path(encodeURIComponent('prov/wt-wm')), { creds: mock.admin })).body,
    ).toEqual({ terminate: false });
    mock.workerManager.setShouldTerminate('prov/wt-wm', 'g', 'w1', true);
    expect((await call(mock.rootUrl, 'GET', path('prov/wt-wm'), { creds: mock.admin })).body).toEqual({
      terminate: true,
    });
    // worker-manager:should-worker-terminate:* is in a public deployment's anonymous role.
    const anon = await call(mock.rootUrl, 'GET', path(encodeURIComponent('prov/wt-wm')));
    expect(anon.body).toEqual({ terminate: true });
    expect(mock.trace.entries().at(-1)).toMatchObject({ service: 'worker-manager', route: 'shouldWorkerTerminate' });
    await mock.close();
    mock = await startMockServices({ anonymousScopes: [] });
    expect((await call(mock.rootUrl, 'GET', path(encodeURIComponent('prov/wt-wm')))).status).toBe(403);
  });

  it('store: streams a large upload to disk and back byte for byte', async () => {
    mock = await startMockServices();
    const size = 24 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024);
    const hash = createHash('sha256');
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < size / chunk.length; i++) {
          chunk.fill(i % 251);
          hash.update(chunk);
          yield Buffer.from(chunk);
        }
      })(),
    );
    const expires = Date.now() + 60_000;
    const put = await fetch(mock.store.url(mock.rootUrl, 'big/0/public/big.bin', 'PUT', expires), {
      method: 'PUT',
      body: Readable.toWeb(body) as ReadableStream,
      headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' },
      duplex: 'half',
    } as RequestInit);
    expect(put.status).toBe(200);
    const sha = hash.digest('hex');
    expect(mock.store.get('big/0/public/big.bin')).toMatchObject({ size, sha256: sha });
    const get = await fetch(mock.store.url(mock.rootUrl, 'big/0/public/big.bin', 'GET', expires));
    const back = createHash('sha256');
    let got = 0;
    for await (const c of get.body as unknown as AsyncIterable<Uint8Array>) {
      back.update(c);
      got += c.length;
    }
    expect(got).toBe(size);
    expect(back.digest('hex')).toBe(sha);
  });
});
