// Hawk and temporary-credential failures over loopback give 401 AuthenticationFailed / 403 InsufficientScopes.
import slugid from 'slugid';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices } from '../../mocks/index.ts';
import { type Creds, call, taskBody } from './helpers.ts';

let mock: MockServices;
afterEach(() => mock?.close());
const Q = 'prov/wt-auth';

async function claimed(m: MockServices): Promise<{ taskId: string; creds: Creds; other: string }> {
  const taskId = slugid.nice();
  const other = slugid.nice();
  for (const id of [taskId, other]) {
    await call(m.rootUrl, 'PUT', `/api/queue/v1/task/${id}`, { creds: m.admin, body: taskBody(Q, m.model.now()) });
  }
  const r = await call(m.rootUrl, 'POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`, {
    creds: m.admin,
    body: { workerGroup: 'g', workerId: 'w', tasks: 1 },
  });
  return {
    taskId: r.body.tasks[0].status.taskId,
    creds: r.body.tasks[0].credentials,
    other: r.body.tasks[0].status.taskId === taskId ? other : taskId,
  };
}

const statusPath = (id: string) => `/api/queue/v1/task/${id}/status`;

describe('authentication', () => {
  it('rejects a bad MAC, an unknown client and a stale timestamp with 401', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const id = slugid.nice();
    const bad = await call(mock.rootUrl, 'GET', statusPath(id), { creds: { ...mock.admin, accessToken: 'nope' } });
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe('AuthenticationFailed');
    expect(bad.body.message).toMatch(/^Unauthorized: Bad mac/);
    const unknown = await call(mock.rootUrl, 'GET', statusPath(id), {
      creds: { clientId: 'nobody', accessToken: 'x' },
    });
    expect(unknown.body.code).toBe('AuthenticationFailed');
    const stale = await call(mock.rootUrl, 'GET', statusPath(id), {
      creds: mock.admin,
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(stale.status).toBe(401);
    // The trace names the client that claimed to be calling, even when it failed.
    expect(mock.trace.entries().at(-1)).toMatchObject({ status: 401, clientId: mock.admin.clientId });
  });

  it('rejects a certificate whose scopes were changed after signing', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const { taskId, creds } = await claimed(mock);
    const cert = JSON.parse(creds.certificate!);
    cert.scopes.push('*');
    const r = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/0/reclaim`, {
      creds: { ...creds, certificate: JSON.stringify(cert) },
    });
    expect(r.status).toBe(401);
    expect(r.body.message).toMatch(/signature is not valid/);
  });

  it('accepts run credentials until 5 minutes after takenUntil, then 401 (auth service tolerance)', async () => {
    let now = Date.now();
    mock = await startMockServices({ longPollMs: 10, claimTimeoutSeconds: 60, now: () => now });
    const { taskId, creds } = await claimed(mock);
    const path = `/api/queue/v1/task/${taskId}/runs/0/artifacts/public%2Fx`;
    const body = {
      storageType: 'error',
      reason: 'file-missing-on-worker',
      message: 'm',
      expires: new Date(now + 3600_000).toISOString(),
    };
    now += 60_000 + 5 * 60_000; // the run is claim-expired (exception) but within the artifact window
    expect((await call(mock.rootUrl, 'POST', path, { creds, body })).status).toBe(200);
    now += 1;
    const r = await call(mock.rootUrl, 'POST', path, { creds, body });
    expect(r.status).toBe(401);
    expect(r.body.message).toMatch(/ext\.certificate\.expiry < now/);
  });

  it('scopes: run credentials only work for their own run; authorizedScopes narrow and cannot widen', async () => {
    // A private deployment (no anonymous role), so that nothing is granted beyond the credentials.
    mock = await startMockServices({ longPollMs: 10, anonymousScopes: [] });
    const { creds, other } = await claimed(mock);
    const foreign = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${other}/runs/0/completed`, { creds });
    // The URL renders the scope, so lib-api authorizes before the handler's state check (auth.js useUrlParams):
    // 403, although the other task's run is pending.
    expect(foreign.status).toBe(403);
    const reclaimOther = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${other}/runs/0/reclaim`, { creds });
    expect(reclaimOther.status).toBe(403);
    expect(reclaimOther.body.code).toBe('InsufficientScopes');
    expect(reclaimOther.body.message).toContain(`queue:reclaim-task:${other}/0`);
    const narrowed = await call(mock.rootUrl, 'GET', statusPath(other), {
      creds: mock.admin,
      ext: { authorizedScopes: ['queue:get-task:*'] },
    });
    expect(narrowed.status).toBe(403);
    const widened = await call(mock.rootUrl, 'GET', statusPath(other), { creds, ext: { authorizedScopes: ['*'] } });
    expect(widened.status).toBe(401);
    const anonymous = await call(mock.rootUrl, 'GET', statusPath(other));
    expect(anonymous.status).toBe(403);
    expect(anonymous.body.message).toMatch(/^This request requires Taskcluster credentials/);
  });

  it('checks a signed payload hash when the client sends one', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const body = { workerGroup: 'g', workerId: 'w' };
    const path = `/api/queue/v1/claim-work/${encodeURIComponent('prov/wt-hash')}`;
    const good = await call(mock.rootUrl, 'POST', path, { creds: mock.admin, body, payloadHash: JSON.stringify(body) });
    expect(good.status).toBe(200);
    const bad = await call(mock.rootUrl, 'POST', path, { creds: mock.admin, body, payloadHash: '{"other":1}' });
    expect(bad.status).toBe(401);
    expect(bad.body.message).toMatch(/Bad payload hash/);
  });
});
