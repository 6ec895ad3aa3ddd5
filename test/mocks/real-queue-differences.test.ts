// Where a hidden trace against the real Queue (v106) and a real deployment differed from the mock, now answered
// as upstream does, over loopback HTTP. Sources: services/queue/src/{api,artifacts,dependencytracker}.js,
// libraries/api/src/{middleware/auth,pagination,api}.js, services/queue/config.yml.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import slugid from 'slugid';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices } from '../../mocks/index.ts';
import { type Creds, call, taskBody } from './helpers.ts';

let mock: MockServices;
afterEach(() => mock?.close());
const Q = 'prov/wt-real';
const inHour = () => new Date(Date.now() + 3600_000).toISOString();

async function create(m: MockServices, overrides: Record<string, unknown> = {}, taskId = slugid.nice()) {
  const r = await call(m.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, {
    creds: m.admin,
    body: taskBody(Q, m.model.now(), overrides),
  });
  return { taskId, r };
}

async function claim(m: MockServices): Promise<{ taskId: string; creds: Creds }> {
  const r = await call(m.rootUrl, 'POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`, {
    creds: m.admin,
    body: { workerGroup: 'g', workerId: 'w', tasks: 1 },
  });
  expect(r.body.tasks).toHaveLength(1);
  return { taskId: r.body.tasks[0].status.taskId, creds: r.body.tasks[0].credentials };
}

describe('the mock answers as the real Queue', () => {
  it('createTask: a dependency that does not exist, or expires before the deadline, is a 400 and leaves nothing', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const ghost = slugid.nice();
    const { taskId, r } = await create(mock, { dependencies: [ghost] });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('InputError');
    expect(r.body.message).toContain(`\`task.dependencies\` references non-existing tasks: \n * ${ghost}\n`);
    expect((await call(mock.rootUrl, 'GET', `/api/queue/v1/task/${taskId}/status`, { creds: mock.admin })).status).toBe(
      404,
    );
    const now = mock.model.now();
    const short = await create(mock, {
      deadline: new Date(now + 600_000).toISOString(),
      expires: new Date(now + 600_000).toISOString(),
    });
    const late = await create(mock, { dependencies: [short.taskId], deadline: new Date(now + 1200_000).toISOString() });
    expect(late.r.status).toBe(400);
    expect(late.r.body.message).toContain(`references tasks that expires\nbefore \`task.deadline\``);
    const ok = await create(mock, { dependencies: [short.taskId], deadline: new Date(now + 300_000).toISOString() });
    expect(ok.r.status).toBe(200);
    expect(ok.r.body.status.state).toBe('unscheduled');
  });

  it('createArtifact checks scopes before the run exists: a claim credential for another run gets 403', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    await create(mock);
    const { taskId, creds } = await claim(mock);
    const body = { storageType: 'error', reason: 'file-missing-on-worker', message: 'm', expires: inHour() };
    const noRun = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/7/artifacts/public%2Fx`, {
      creds,
      body,
    });
    expect(noRun.status).toBe(403);
    expect(noRun.body.code).toBe('InsufficientScopes');
    expect(noRun.body.message).toContain(`queue:create-artifact:${taskId}/7`);
    // With scopes for it, the missing run is what is reported.
    const admin = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/7/artifacts/public%2Fx`, {
      creds: mock.admin,
      body,
    });
    expect(admin.status).toBe(400);
    expect(admin.body.message).toMatch(/^Run not found/);
    // Authorization also precedes schema validation on such routes.
    const invalid = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/7/artifacts/public%2Fx`, {
      creds,
      body: { storageType: 'nonsense' },
    });
    expect(invalid.status).toBe(403);
  });

  it('getArtifact of a public/ artifact without credentials follows the anonymous role', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    await create(mock);
    const { taskId, creds } = await claim(mock);
    const made = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/0/artifacts/public%2Fr`, {
      creds,
      body: { storageType: 'reference', url: 'https://example.com/r', contentType: 'text/plain', expires: inHour() },
    });
    expect(made.status).toBe(200);
    const anon = await call(mock.rootUrl, 'GET', `/api/queue/v1/task/${taskId}/runs/0/artifacts/public%2Fr`);
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('https://example.com/r');
  });

  it('listDependentTasks pages the dependents in taskId order with limit and continuationToken', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const { taskId: root } = await create(mock);
    const dependents: string[] = [];
    for (let i = 0; i < 5; i++) dependents.push((await create(mock, { dependencies: [root] })).taskId);
    await create(mock); // unrelated
    const path = `/api/queue/v1/task/${root}/dependents`;
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 5; page++) {
      const q = `?limit=2${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`;
      const r = await call(mock.rootUrl, 'GET', path + q, { creds: mock.admin });
      expect(r.status).toBe(200);
      expect(r.body.taskId).toBe(root);
      expect(r.body.tasks.length).toBeLessThanOrEqual(2);
      for (const t of r.body.tasks) {
        expect(Object.keys(t).sort()).toEqual(['status', 'task']);
        expect(t.task.dependencies).toEqual([root]);
        expect(t.status.state).toBe('unscheduled');
        seen.push(t.status.taskId);
      }
      token = r.body.continuationToken;
      if (!token) break;
    }
    expect(token).toBeUndefined();
    // Sorted by the database's collation (en_US), which puts `-` and `_` aside at first.
    const collator = new Intl.Collator('en-US', { ignorePunctuation: true, sensitivity: 'variant' });
    expect(seen).toEqual([...dependents].sort((a, b) => collator.compare(a, b) || (a < b ? -1 : 1)));
    const all = await call(mock.rootUrl, 'GET', path, { creds: mock.admin });
    expect(all.body.tasks).toHaveLength(5);
    expect(all.body.continuationToken).toBeUndefined();
    const missing = await call(mock.rootUrl, 'GET', `/api/queue/v1/task/${slugid.nice()}/dependents`, {
      creds: mock.admin,
    });
    expect(missing.status).toBe(404);
    const badLimit = await call(mock.rootUrl, 'GET', `${path}?limit=two`, { creds: mock.admin });
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.code).toBe('InvalidRequestArguments');
    const badToken = await call(mock.rootUrl, 'GET', `${path}?continuationToken=%21%21`, { creds: mock.admin });
    expect(badToken.body).toMatchObject({ code: 'InputError' });
    expect(badToken.body.message).toMatch(/^Invalid continuation token/);
    // Without credentials: the public anonymous role has queue:list-dependent-tasks:*.
    expect((await call(mock.rootUrl, 'GET', path)).status).toBe(200);
  });

  it('listArtifacts and artifactInfo carry contentLength when the worker reported it', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    await create(mock);
    const { taskId, creds } = await claim(mock);
    const base = `/api/queue/v1/task/${taskId}/runs/0`;
    const put = (name: string, body: Record<string, unknown>) =>
      call(mock.rootUrl, 'POST', `${base}/artifacts/${encodeURIComponent(name)}`, { creds, body });
    expect(
      (
        await put('public/sized', {
          storageType: 's3',
          contentType: 'text/plain',
          contentLength: 12345,
          expires: inHour(),
        })
      ).status,
    ).toBe(200);
    expect(
      (await put('public/unsized', { storageType: 's3', contentType: 'text/plain', expires: inHour() })).status,
    ).toBe(200);
    const list = await call(mock.rootUrl, 'GET', `${base}/artifacts`, { creds: mock.admin });
    const byName = Object.fromEntries(list.body.artifacts.map((a: any) => [a.name, a]));
    expect(byName['public/sized'].contentLength).toBe(12345);
    expect('contentLength' in byName['public/unsized']).toBe(false);
    const info = await call(mock.rootUrl, 'GET', `${base}/artifact-info/public%2Fsized`, { creds: mock.admin });
    expect(info.body.contentLength).toBe(12345);
  });

  it('deadlineDelayMs: 60000 resolves deadline-exceeded a minute after the deadline, as the real Queue', async () => {
    let now = Date.now();
    mock = await startMockServices({ longPollMs: 10, deadlineDelayMs: 60_000, now: () => now });
    await create(mock, { deadline: new Date(now + 60_000).toISOString() });
    const { taskId, creds } = await claim(mock);
    const status = () => call(mock.rootUrl, 'GET', `/api/queue/v1/task/${taskId}/status`, { creds: mock.admin });
    now += 60_000 + 30_000; // 30 s past the deadline
    mock.model.tick();
    expect((await status()).body.status.state).toBe('running');
    // reclaim is refused from the deadline on, but the worker may still report.
    expect((await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/0/reclaim`, { creds })).status).toBe(
      409,
    );
    now += 30_000; // deadline + 60 s
    mock.model.tick();
    const s = (await status()).body.status;
    expect(s.runs[0]).toMatchObject({ state: 'exception', reasonResolved: 'deadline-exceeded' });
    expect(Date.parse(s.runs[0].resolved) - Date.parse(s.deadline)).toBe(60_000);
  });

  it('compresses JSON answers of 1 KiB or more as lib-api (brotli preferred), and not small ones', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const { taskId } = await create(mock, { extra: { pad: 'x'.repeat(2000) } });
    const url = `${mock.rootUrl}/api/queue/v1/task/${taskId}`;
    const get = (acceptEncoding?: string) =>
      fetch(url, { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } });
    // fetch would decode transparently; read the raw bytes through node:http instead.
    const raw = async (acceptEncoding?: string) => {
      const { request } = await import('node:http');
      return await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        const req = request(url, { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
      });
    };
    const br = await raw('gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/Accept-Encoding/);
    expect(JSON.parse(brotliDecompressSync(br.body).toString()).extra.pad).toHaveLength(2000);
    const gz = await raw('gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gz.body).toString()).extra.pad).toHaveLength(2000);
    const none = await raw();
    expect(none.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(none.body.toString()).extra.pad).toHaveLength(2000);
    const identity = await raw('identity');
    expect(identity.headers['content-encoding']).toBeUndefined();
    // A small answer stays uncompressed but still varies on Accept-Encoding.
    const status = await fetch(`${mock.rootUrl}/api/queue/v1/task/${taskId}/status`, {
      headers: { 'accept-encoding': 'br' },
    });
    expect(status.headers.get('content-encoding')).toBeNull();
    expect(status.headers.get('vary')).toMatch(/Accept-Encoding/);
    // A client that decodes (fetch) sees the same JSON either way.
    expect((await (await get('br')).json()).extra.pad).toHaveLength(2000);
  });
});
