// The worker's Taskcluster client against a loopback server it starts: taskcluster-client's contract (URLs,
// Hawk header with the certificate in ext, JSON bodies, 5xx and network errors retried, 4xx not, errors with
// statusCode/code/body), claimWork abandoned on abort, bewits, and purgeRequests' query.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, newQueue, purgeRequests, signUrl, TaskclusterError } from './queue.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let root: string;
const seen: Seen[] = [];
let answers: Array<(res: import('node:http').ServerResponse) => void> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const answer = answers.shift();
      if (answer) answer(res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const json = (status: number, body: unknown) => (res: import('node:http').ServerResponse) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

function reset(...a: typeof answers) {
  seen.length = 0;
  answers = a;
}

const certificate = JSON.stringify({ version: 1, scopes: ['a'], start: 1, expiry: 2, seed: 's', signature: 'x' });

describe('QueueClient', () => {
  it('signs with Hawk (certificate in ext) and sends JSON to taskcluster-lib-urls URLs', async () => {
    reset();
    const q = newQueue(root, { clientId: 'task-client', accessToken: 'tok', certificate });
    expect(await q.createArtifact('T1', 0, 'public/a b.txt', { storageType: 'error' })).toEqual({ ok: true });
    const [r] = seen;
    expect(r!.method).toBe('POST');
    expect(r!.url).toBe('/api/queue/v1/task/T1/runs/0/artifacts/public%2Fa%20b.txt');
    expect(r!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r!.body)).toEqual({ storageType: 'error' });
    const auth = r!.headers.authorization!;
    expect(auth).toMatch(/^Hawk id="task-client", ts="\d+", nonce="[^"]+", ext="[^"]+", mac="[^"]+"$/);
    const ext = JSON.parse(Buffer.from(/ext="([^"]+)"/.exec(auth)![1]!, 'base64').toString());
    expect(ext).toEqual({ certificate: JSON.parse(certificate) });
    expect(apiUrl('https://tc.example.com/', 'purge-cache', '/x')).toBe('https://tc.example.com/api/purge-cache/v1/x');
  });

  it('a call without a payload sends an empty body; an answer that is not JSON is undefined', async () => {
    reset((res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('fine'));
    const q = newQueue(root, { clientId: 'c', accessToken: 'a' });
    expect(await q.reportCompleted('T2', '1')).toBeUndefined();
    expect(seen[0]!.url).toBe('/api/queue/v1/task/T2/runs/1/completed');
    expect(seen[0]!.headers['content-length']).toBe('0');
    expect(seen[0]!.body).toBe('');
  });

  it('retries 5xx answers and then succeeds', async () => {
    reset(json(503, { code: 'Busy', message: 'later' }), json(500, {}));
    const q = newQueue(root, { clientId: 'c', accessToken: 'a' });
    expect(await q.reclaimTask('T3', '0')).toEqual({ ok: true });
    expect(seen).toHaveLength(3);
  });

  it('does not retry a 4xx: the error carries status, code, message and body', async () => {
    reset(json(409, { code: 'RequestConflict', message: 'run is resolved' }));
    const q = newQueue(root, { clientId: 'c', accessToken: 'a' });
    const err = (await q.reclaimTask('T4', '0').catch((e) => e)) as TaskclusterError;
    expect(err).toBeInstanceOf(TaskclusterError);
    expect(err.statusCode).toBe(409);
    expect(err.code).toBe('RequestConflict');
    expect(err.message).toBe('run is resolved');
    expect(err.body).toEqual({ code: 'RequestConflict', message: 'run is resolved' });
    expect(seen).toHaveLength(1);
  });

  it('gives up after its retries, with the last 5xx', async () => {
    reset(json(500, { message: 'one' }), json(502, { message: 'two' }));
    const q = new (await import('./queue.ts')).QueueClient(root, { clientId: 'c', accessToken: 'a' }, { retries: 1 });
    const err = (await q.reportFailed('T5', '0').catch((e) => e)) as TaskclusterError;
    expect(err.statusCode).toBe(502);
    expect(err.message).toBe('two');
    expect(seen).toHaveLength(2);
  });

  it('a redirect is an error, not followed', async () => {
    reset((res) => res.writeHead(303, { location: '/elsewhere' }).end());
    const q = newQueue(root, { clientId: 'c', accessToken: 'a' });
    const err = (await q.reportCompleted('T6', '0').catch((e) => e)) as TaskclusterError;
    expect(err.statusCode).toBe(303);
    expect(err.message).toBe('Unexpected Redirect');
    expect(seen).toHaveLength(1);
  });

  it('network errors are retried', async () => {
    const q = newQueue('http://127.0.0.1:1', { clientId: 'c', accessToken: 'a' });
    const { QueueClient } = await import('./queue.ts');
    const once = new QueueClient('http://127.0.0.1:1', { clientId: 'c', accessToken: 'a' }, { retries: 1 });
    const started = Date.now();
    const err = await once.reportCompleted('T7', '0').catch((e) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    // One retry after 2 × 100 ms ± 25 %.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(q.url('/x')).toBe('http://127.0.0.1:1/api/queue/v1/x');
  });

  it('claimWork is one request, abandoned when its signal aborts', async () => {
    reset((res) => setTimeout(() => json(200, { tasks: [] })(res), 5000));
    const q = newQueue(root, { clientId: 'worker', accessToken: 'a' });
    const ac = new AbortController();
    const p = q.claimWork('prov/type', { tasks: 1, workerGroup: 'g', workerId: 'w' }, ac.signal);
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    await expect(p).rejects.toThrow();
    expect(seen[0]!.url).toBe('/api/queue/v1/claim-work/prov%2Ftype');
    expect(JSON.parse(seen[0]!.body)).toEqual({ tasks: 1, workerGroup: 'g', workerId: 'w' });
  });

  it('artifact URLs: plain for public, a bewit of the run credentials otherwise', () => {
    const q = newQueue(root, { clientId: 'c', accessToken: 'a' });
    expect(q.latestArtifactUrl('T8', 'public/x')).toBe(`${root}/api/queue/v1/task/T8/artifacts/public%2Fx`);
    const signed = new URL(q.latestArtifactUrl('T8', 'private/x', 60));
    expect(signed.pathname).toBe('/api/queue/v1/task/T8/artifacts/private%2Fx');
    const bewit = Buffer.from(signed.searchParams.get('bewit')!, 'base64url').toString();
    const [id, exp] = bewit.split('\\');
    expect(id).toBe('c');
    expect(Number(exp) - Date.now() / 1000).toBeGreaterThan(50);
    expect(signUrl(`${root}/a?b=1`, { clientId: 'c', accessToken: 'a' }, 10)).toMatch(/\/a\?b=1&bewit=/);
  });
});

describe('purgeRequests', () => {
  it('GETs the worker pool’s requests, with since when given', async () => {
    reset(json(200, { requests: [] }), json(200, { requests: [] }));
    const creds = { clientId: 'c', accessToken: 'a' };
    expect(await purgeRequests(root, creds, 'prov/type', {})).toEqual({ requests: [] });
    await purgeRequests(root, creds, 'prov/type', { since: '2026-01-01T00:00:00.000Z' });
    expect(seen.map((s) => s.url)).toEqual([
      '/api/purge-cache/v1/purge-cache/prov%2Ftype',
      '/api/purge-cache/v1/purge-cache/prov%2Ftype?since=2026-01-01T00%3A00%3A00.000Z',
    ]);
  });
});
