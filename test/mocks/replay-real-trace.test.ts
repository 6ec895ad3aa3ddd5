// Replays the 35 requests of the real Queue trace (../shared/reference/real-queue-trace.json) against
// the mock with fresh ids, timestamps shifted to now and each claim's own temporary credentials; every
// call must give the same status, error code, response shape, states and (normalised) error message.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import hawk from 'hawk';
import slugid from 'slugid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS_ROLES, type MockServices, startMockServices } from '../../mocks/index.ts';

const TRACE = resolve(import.meta.dirname, '../../../shared/reference/real-queue-trace.json');
const present = existsSync(TRACE);

interface Step {
  step: string;
  request: { method: string; path: string; clientId: string | null; body?: unknown };
  response: { status: number; body?: any };
}

type Creds = { clientId: string; accessToken: string; certificate?: string };

/** The structure of a value: keys and JSON types, arrays element by element. */
function shape(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, shape((v as any)[k])]),
    );
  return typeof v;
}

/** Values that must agree exactly, not just in type. */
const EXACT = new Set([
  'state',
  'reasonCreated',
  'reasonResolved',
  'retriesLeft',
  'runId',
  'storageType',
  'code',
  'workerGroup',
  'workerId',
  'priority',
  'pendingTasks',
  'contentType',
  'name',
]);
function exactValues(v: unknown, path = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) exactValues(x, `${path}[${i}]`, out);
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (EXACT.has(k) && (typeof x !== 'object' || x === null)) out[`${path}.${k}`] = x;
      else exactValues(x, `${path}.${k}`, out);
    }
  }
  return out;
}

describe.skipIf(!present)('replay of the real Queue trace', () => {
  // Skipped when ../shared is absent: the trace is reference material kept outside the repository.
  const steps: Step[] = present ? JSON.parse(readFileSync(TRACE, 'utf8')) : [];
  let mock: MockServices;
  const queue = `test-prov/wt-${slugid
    .nice()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 12)}`;
  const oldQueue = 'test-prov/wt-bi6t7j7ta2y9';
  const worker = {
    clientId: 'static/worker',
    accessToken: 'replay-worker-token-0123456789abcdef',
    scopes: [`queue:claim-work:${queue}`, 'queue:worker-id:test-group/test-worker-1'],
  };
  const admin = { clientId: 'static/admin', accessToken: 'replay-admin-token-0123456789abcdef', scopes: ['*'] };
  const ids = new Map<string, string>();
  let shift = 0;

  const mapIds = (s: string): string => {
    let out = s.replaceAll(oldQueue, queue).replaceAll(encodeURIComponent(oldQueue), encodeURIComponent(queue));
    for (const [a, b] of ids) out = out.replaceAll(a, b);
    return out;
  };
  const transform = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v)) return new Date(Date.parse(v) + shift).toISOString();
      return mapIds(v);
    }
    if (Array.isArray(v)) return v.map(transform);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, transform(x)]));
    return v;
  };
  const normaliseMessage = (m: string, rootUrl: string): string =>
    m
      .split('\n\n---\n\n')[0]
      .replace(/https?:\/\/127\.0\.0\.1:\d+/g, 'ROOT')
      .replace(rootUrl, 'ROOT')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, 'TIME');

  beforeAll(async () => {
    // The trace was recorded against a deployment with an empty anonymous role (a private deployment).
    mock = await startMockServices({
      clients: [admin, worker],
      longPollMs: 500,
      anonymousScopes: ANONYMOUS_ROLES.none,
    });
    for (const s of steps) {
      for (const m of s.request.path.matchAll(/\/task\/([A-Za-z0-9_-]{22})/g))
        if (!ids.has(m[1])) ids.set(m[1], slugid.nice());
    }
    const first = steps[0].request.body as { created: string };
    shift = Date.now() - Date.parse(first.created);
  });
  afterAll(() => mock?.close());

  it('has the 35 calls', () => {
    expect(steps).toHaveLength(35);
  });

  it('answers every call as the real Queue did', async () => {
    const taskCreds = new Map<string, Creds>(); // original task-client id → credentials the mock issued
    const mismatches: string[] = [];
    for (const [i, s] of steps.entries()) {
      const path = mapIds(s.request.path);
      const url = `${mock.rootUrl}${path}`;
      let creds: Creds | undefined;
      const cid = s.request.clientId;
      if (cid === 'static/admin') creds = admin;
      else if (cid === 'static/worker')
        creds = /wrong accessToken/.test(s.step) ? { ...worker, accessToken: 'wrong' } : worker;
      else if (cid) creds = taskCreds.get(cid);
      if (cid && !creds) throw new Error(`step ${i}: no credentials for ${cid}`);
      const headers: Record<string, string> = {};
      const body = s.request.body === undefined ? undefined : JSON.stringify(transform(s.request.body));
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (creds) {
        const ext = creds.certificate
          ? Buffer.from(JSON.stringify({ certificate: JSON.parse(creds.certificate) })).toString('base64')
          : undefined;
        headers.authorization = hawk.client.header(url, s.request.method, {
          credentials: { id: creds.clientId, key: creds.accessToken, algorithm: 'sha256' },
          ...(ext ? { ext } : {}),
        }).header;
      }
      const res = await fetch(url, { method: s.request.method, headers, body, redirect: 'manual' });
      const text = await res.text();
      const got = text ? JSON.parse(text) : undefined;
      const want = s.response.body;
      const where = `step ${i} (${s.step})`;
      if (res.status !== s.response.status)
        mismatches.push(`${where}: status ${res.status} != ${s.response.status}: ${text.slice(0, 300)}`);
      if (JSON.stringify(shape(got)) !== JSON.stringify(shape(want))) {
        mismatches.push(`${where}: shape ${JSON.stringify(shape(got))} != ${JSON.stringify(shape(want))}`);
      }
      const gotExact = exactValues(got);
      const wantExact = exactValues(transform(want));
      if (JSON.stringify(gotExact) !== JSON.stringify(wantExact)) {
        mismatches.push(`${where}: values ${JSON.stringify(gotExact)} != ${JSON.stringify(wantExact)}`);
      }
      if (want?.code && got?.message !== undefined) {
        const a = normaliseMessage(got.message, mock.rootUrl);
        const b = normaliseMessage(mapIds(want.message), mock.rootUrl);
        if (a !== b) mismatches.push(`${where}: message\n  ${JSON.stringify(a)}\n  != ${JSON.stringify(b)}`);
      }
      // Remember the temporary credentials each claim/reclaim handed out, under the real trace's clientId.
      const pairs: [Creds | undefined, Creds | undefined][] = [];
      for (const [j, t] of (want?.tasks ?? []).entries()) pairs.push([t.credentials, got?.tasks?.[j]?.credentials]);
      if (want?.credentials) pairs.push([want.credentials, got?.credentials]);
      for (const [o, n] of pairs) if (o && n) taskCreds.set(o.clientId, n);
    }
    expect(mismatches).toEqual([]);
  });
});
