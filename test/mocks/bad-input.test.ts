// Hostile request bodies over loopback HTTP: deep nesting is either served (up to MAX_JSON_DEPTH, where the
// real Queue works too) or refused with a 4xx before any state changes, and no body makes the mock answer 500.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import hawk from 'hawk';
import slugid from 'slugid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices } from '../../mocks/index.ts';
import { MAX_JSON_DEPTH } from '../../mocks/router.ts';
import { type Creds, call, taskBody } from './helpers.ts';

const Q = 'prov/wt-bad-input';

/** A request with a raw (unserialised) body, Hawk-signed when creds are given. */
async function raw(
  rootUrl: string,
  method: string,
  path: string,
  body: string | undefined,
  opts: { creds?: Creds; contentType?: string } = {},
): Promise<{ status: number; text: string }> {
  const url = `${rootUrl}${path}`;
  const headers: Record<string, string> = {};
  if (opts.contentType) headers['content-type'] = opts.contentType;
  if (opts.creds) {
    const ext = opts.creds.certificate
      ? Buffer.from(JSON.stringify({ certificate: JSON.parse(opts.creds.certificate) })).toString('base64')
      : undefined;
    headers.authorization = hawk.client.header(url, method, {
      credentials: { id: opts.creds.clientId, key: opts.creds.accessToken, algorithm: 'sha256' },
      ...(ext ? { ext } : {}),
    }).header;
  }
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  return { status: res.status, text: await res.text() };
}

const nested = (depth: number, leaf = '1'): string => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);

describe('deeply nested bodies', () => {
  let mock: MockServices;
  beforeAll(async () => {
    mock = await startMockServices({ longPollMs: 10 });
  });
  afterAll(() => mock?.close());

  it('a payload nested 2000 deep is created, claimed and resolved (the real Queue serialises it too)', async () => {
    const taskId = slugid.nice();
    const def = taskBody(Q, Date.now());
    const text = JSON.stringify(def).replace('"payload":{}', `"payload":${nested(2000)}`);
    const created = await raw(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, text, {
      creds: mock.admin,
      contentType: 'application/json',
    });
    expect(created.status).toBe(200);
    const claim = await call(mock.rootUrl, 'POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`, {
      creds: mock.admin,
      body: { workerGroup: 'g', workerId: 'w', tasks: 1 },
    });
    expect(claim.status).toBe(200);
    let depth = 0;
    for (let p = claim.body.tasks[0].task.payload; p && typeof p === 'object'; p = p.a) depth++;
    expect(depth).toBe(2000);
    const done = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/0/completed`, {
      creds: claim.body.tasks[0].credentials,
    });
    expect(done.status).toBe(200);
    // The trace holds the body and the answer, and still serialises.
    expect(() => JSON.stringify(mock.trace.entries())).not.toThrow();
  });

  it('the deepest body accepted is claimable by claimWork and claimTask, and its trace writes', async () => {
    // createTask's body is one level itself, so the payload gets MAX_JSON_DEPTH - 1.
    const ids = [slugid.nice(), slugid.nice()];
    for (const taskId of ids) {
      const text = JSON.stringify(taskBody(Q, Date.now())).replace(
        '"payload":{}',
        `"payload":${nested(MAX_JSON_DEPTH - 1)}`,
      );
      const r = await raw(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, text, {
        creds: mock.admin,
        contentType: 'application/json',
      });
      expect(r.status).toBe(200);
    }
    const work = await call(mock.rootUrl, 'POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`, {
      creds: mock.admin,
      body: { workerGroup: 'g', workerId: 'w', tasks: 1 },
    });
    expect(work.status).toBe(200);
    expect(work.body.tasks).toHaveLength(1);
    const other = ids.find((id) => id !== work.body.tasks[0].status.taskId)!;
    const task = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${other}/runs/0/claim`, {
      creds: mock.admin,
      body: { workerGroup: 'g', workerId: 'w' },
    });
    expect(task.status).toBe(200);
    expect(task.body.status.runs[0].state).toBe('running');
    const dir = mkdtempSync(join(tmpdir(), 'tc-mock-deep-'));
    try {
      mock.trace.write(join(dir, 'trace.json'));
      expect(JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')).at(-1)).toMatchObject({ route: 'claimTask' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['just past the limit', MAX_JSON_DEPTH + 1],
    ['200,000 deep', 200_000],
  ])('a body nested %s is refused with 400 InputError before anything changes', async (_what, depth) => {
    const before = mock.model.taskIds().length;
    const taskId = slugid.nice();
    const text = JSON.stringify(taskBody(Q, Date.now())).replace('"payload":{}', `"payload":${nested(depth)}`);
    const r = await raw(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, text, {
      creds: mock.admin,
      contentType: 'application/json',
    });
    expect(r.status).toBe(400);
    const body = JSON.parse(r.text);
    expect(body.code).toBe('InputError');
    expect(body.message).toMatch(new RegExp(`^Payload JSON is nested more than ${MAX_JSON_DEPTH} levels deep`));
    expect(mock.model.taskIds()).toHaveLength(before);
    expect(mock.model.hasTask(taskId)).toBe(false);
    expect(mock.trace.entries().at(-1)).toMatchObject({ route: 'createTask', status: 400 });
    // Arrays count as much as objects, and brackets inside strings do not count.
    const arrays = await raw(
      mock.rootUrl,
      'POST',
      `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`,
      '['.repeat(depth) + ']'.repeat(depth),
      { creds: mock.admin, contentType: 'application/json' },
    );
    expect(arrays.status).toBe(400);
  });

  it('brackets inside strings are not nesting', async () => {
    const taskId = slugid.nice();
    const def = { ...taskBody(Q, Date.now()), payload: { s: '{['.repeat(MAX_JSON_DEPTH * 2) } };
    const r = await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, { creds: mock.admin, body: def });
    expect(r.status).toBe(200);
  });
});

describe('no body makes the mock answer 500', () => {
  let mock: MockServices;
  const taskId = slugid.nice();
  let runCreds: Creds;
  beforeAll(async () => {
    mock = await startMockServices({ longPollMs: 10 });
    await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, { creds: mock.admin, body: taskBody(Q) });
    const claim = await call(mock.rootUrl, 'POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`, {
      creds: mock.admin,
      body: { workerGroup: 'g', workerId: 'w', tasks: 1 },
    });
    runCreds = claim.body.tasks[0].credentials;
  });
  afterAll(() => mock?.close());

  const date = fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom(
      '2030-02-30T00:00:00Z',
      '2030-01-01T23:59:60Z',
      '2030-13-01T00:00:00Z',
      'now',
      '',
      '9999-12-31T23:59:59Z',
    ),
    fc.string(),
  );
  const json = fc.jsonValue({ maxDepth: 4 });
  const taskLike = fc.record(
    {
      taskQueueId: fc.oneof(fc.constant(Q), fc.string()),
      provisionerId: fc.oneof(fc.constant('prov'), fc.string()),
      workerType: fc.oneof(fc.constant('wt-bad-input'), fc.string()),
      created: date,
      deadline: date,
      expires: date,
      dependencies: fc.array(fc.oneof(fc.constant(taskId), fc.string())),
      retries: fc.oneof(fc.integer({ min: -2, max: 60 }), json),
      priority: fc.oneof(fc.constantFrom('lowest', 'normal', 'high', 'bogus'), json),
      scopes: fc.array(fc.oneof(fc.constantFrom('*', 'a:**', 'queue:x'), fc.string())),
      payload: json,
      metadata: fc.oneof(fc.constant(taskBody(Q).metadata), json),
      tags: json,
      extra: json,
    },
    { requiredKeys: [] },
  );
  const artifactLike = fc.record(
    {
      storageType: fc.oneof(fc.constantFrom('s3', 'object', 'reference', 'link', 'error'), json),
      expires: date,
      contentType: fc.oneof(fc.constant('text/plain'), json),
      contentLength: fc.oneof(fc.integer({ min: -1, max: 2 ** 40 }), json),
      url: fc.oneof(fc.webUrl(), fc.string()),
      artifact: fc.string(),
      reason: fc.constantFrom('file-missing-on-worker', 'bogus'),
      message: fc.string(),
    },
    { requiredKeys: [] },
  );
  const text = fc.oneof(
    json.map((v) => JSON.stringify(v)),
    taskLike.map((v) => JSON.stringify(v)),
    artifactLike.map((v) => JSON.stringify(v)),
    fc.string(),
    fc.integer({ min: 1, max: 6000 }).map((n) => nested(n)),
    fc
      .array(fc.constantFrom('[', ']', '{', '}', '"', '\\', ':', ',', '1', 'null'), { maxLength: 200 })
      .map((a) => a.join('')),
    fc.constant(undefined),
  );
  const routes = (id: string) => [
    ['PUT', `/api/queue/v1/task/${id}`],
    ['PUT', `/api/queue/v1/task/${slugid.nice()}`],
    ['POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`],
    ['POST', `/api/queue/v1/task/${id}/runs/0/claim`],
    ['POST', `/api/queue/v1/task/${id}/runs/0/reclaim`],
    ['POST', `/api/queue/v1/task/${id}/runs/0/artifacts/public%2Fx`],
    ['PUT', `/api/queue/v1/task/${id}/runs/0/artifacts/public%2Fx`],
    ['POST', `/api/queue/v1/task/${id}/runs/0/exception`],
    ['POST', `/api/queue/v1/task/${id}/runs/0/failed`],
    ['POST', `/api/queue/v1/task/${id}/rerun`],
    ['PUT', '/api/queue/v1/provisioners/prov/worker-types/wt-bad-input/workers/g/w'],
    ['GET', `/api/queue/v1/task/${id}/dependents?limit=3&continuationToken=x`],
    ['POST', `/api/purge-cache/v1/purge-cache/${encodeURIComponent(Q)}`],
    ['PUT', `/api/object/v1/upload/t%2F${id}%2F0%2Fx`],
    ['PUT', `/api/object/v1/start-download/t%2F${id}%2F0%2Fx`],
  ];

  it('answers every generated body with a JSON 2xx-4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: routes('x').length - 1 }),
        text,
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', undefined),
        fc.constantFrom('admin', 'run', 'none'),
        async (i, body, contentType, who) => {
          const [method, path] = routes(taskId)[i];
          const creds = who === 'admin' ? mock.admin : who === 'run' ? runCreds : undefined;
          const r = await raw(mock.rootUrl, method, path, method === 'GET' ? undefined : body, {
            creds,
            contentType,
          });
          expect(r.status, `${method} ${path} ${body?.slice(0, 200)} → ${r.text.slice(0, 300)}`).toBeLessThan(500);
          if (r.status >= 400) expect(JSON.parse(r.text).code).toMatch(/^[A-Z][A-Za-z]+$/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
