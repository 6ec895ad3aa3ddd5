// The anonymous role over loopback HTTP: as services/auth/src/signaturevalidator.js (v106) grants it, to every
// request — without credentials, with a static client, with temporary credentials, and with authorizedScopes
// (checked against the credentials plus the role, then the role is added back).
import slugid from 'slugid';
import { afterEach, describe, expect, it } from 'vitest';
import { ANONYMOUS_ROLES, type MockServices, PUBLIC_ANONYMOUS_SCOPES, startMockServices } from '../../mocks/index.ts';
import { type Creds, call, taskBody } from './helpers.ts';

let mock: MockServices;
afterEach(() => mock?.close());
const Q = 'prov/wt-anon';
const weak = { clientId: 'static/weak', accessToken: 'weak-token-0123456789abcdefghij', scopes: ['nothing:useful'] };

/** A claimed task with a `public/` and a `private/` reference artifact; returns the run's credentials. */
async function withArtifacts(m: MockServices): Promise<{ taskId: string; creds: Creds }> {
  const taskId = slugid.nice();
  await call(m.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, { creds: m.admin, body: taskBody(Q, m.model.now()) });
  const r = await call(m.rootUrl, 'POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`, {
    creds: m.admin,
    body: { workerGroup: 'g', workerId: 'w', tasks: 1 },
  });
  const creds: Creds = r.body.tasks[0].credentials;
  for (const name of ['public/ref', 'private/ref']) {
    const made = await call(m.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/0/artifacts/${name}`, {
      creds,
      body: {
        storageType: 'reference',
        url: 'https://example.com/x',
        contentType: 'text/plain',
        expires: new Date(Date.now() + 3600_000).toISOString(),
      },
    });
    expect(made.status).toBe(200);
  }
  return { taskId, creds };
}

const artifact = (taskId: string, name: string) => `/api/queue/v1/task/${taskId}/runs/0/artifacts/${name}`;
const status = (taskId: string) => `/api/queue/v1/task/${taskId}/status`;

describe('anonymous role', () => {
  it('defaults to the documented public role, granted without credentials', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    expect(PUBLIC_ANONYMOUS_SCOPES).toEqual(
      expect.arrayContaining(['queue:get-artifact:public/*', 'queue:status:*', 'purge-cache:purge-requests:*']),
    );
    const { taskId } = await withArtifacts(mock);
    expect((await call(mock.rootUrl, 'GET', status(taskId))).status).toBe(200);
    expect((await call(mock.rootUrl, 'GET', artifact(taskId, 'public/ref'))).status).toBe(303);
    const priv = await call(mock.rootUrl, 'GET', artifact(taskId, 'private/ref'));
    expect(priv.status).toBe(403);
    expect(priv.body.message).toContain('queue:get-artifact:private/ref');
    expect((await call(mock.rootUrl, 'GET', `/api/purge-cache/v1/purge-cache/${encodeURIComponent(Q)}`)).status).toBe(
      200,
    );
  });

  it('is added to an authenticated client and to temporary credentials', async () => {
    mock = await startMockServices({ longPollMs: 10, clients: [weak] });
    const { taskId } = await withArtifacts(mock);
    // A static client without queue scopes still reads what the role grants.
    expect((await call(mock.rootUrl, 'GET', artifact(taskId, 'public/ref'), { creds: weak })).status).toBe(303);
    expect((await call(mock.rootUrl, 'GET', status(taskId), { creds: weak })).status).toBe(200);
    const denied = await call(mock.rootUrl, 'GET', artifact(taskId, 'private/ref'), { creds: weak });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toMatch(/^Client ID static\/weak does not have sufficient scopes/);
    // Run credentials of another task: public artifacts yes (role), private ones no.
    const { creds: otherRun } = await withArtifacts(mock);
    expect((await call(mock.rootUrl, 'GET', artifact(taskId, 'public/ref'), { creds: otherRun })).status).toBe(303);
    expect((await call(mock.rootUrl, 'GET', artifact(taskId, 'private/ref'), { creds: otherRun })).status).toBe(403);
  });

  it('authorizedScopes may name the role, and the role is added back after restricting', async () => {
    mock = await startMockServices({ longPollMs: 10, clients: [weak] });
    const { taskId } = await withArtifacts(mock);
    // Restricted to one unrelated scope, the admin still holds the role.
    const narrowed = await call(mock.rootUrl, 'GET', status(taskId), {
      creds: mock.admin,
      ext: { authorizedScopes: ['queue:get-task:x'] },
    });
    expect(narrowed.status).toBe(200);
    const narrowedPrivate = await call(mock.rootUrl, 'GET', artifact(taskId, 'private/ref'), {
      creds: mock.admin,
      ext: { authorizedScopes: ['queue:get-task:x'] },
    });
    expect(narrowedPrivate.status).toBe(403);
    // A client may restrict itself to scopes it holds only through the role.
    const named = await call(mock.rootUrl, 'GET', status(taskId), {
      creds: weak,
      ext: { authorizedScopes: ['queue:status:*'] },
    });
    expect(named.status).toBe(200);
  });

  it('a private deployment (anonymousScopes: []) grants nothing beyond the credentials', async () => {
    mock = await startMockServices({ longPollMs: 10, clients: [weak], anonymousScopes: ANONYMOUS_ROLES.none });
    const { taskId, creds } = await withArtifacts(mock);
    const anon = await call(mock.rootUrl, 'GET', artifact(taskId, 'public/ref'));
    expect(anon.status).toBe(403);
    expect(anon.body.message).toMatch(/^This request requires Taskcluster credentials/);
    expect((await call(mock.rootUrl, 'GET', status(taskId), { creds: weak })).status).toBe(403);
    expect((await call(mock.rootUrl, 'GET', artifact(taskId, 'public/ref'), { creds })).status).toBe(403);
    const overstep = await call(mock.rootUrl, 'GET', status(taskId), {
      creds: weak,
      ext: { authorizedScopes: ['queue:status:*'] },
    });
    expect(overstep.status).toBe(401);
    expect(overstep.body.message).toMatch(/^Supplied credentials do not satisfy authorizedScopes/);
  });
});
