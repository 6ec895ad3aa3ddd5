// The official taskcluster-client drives the mock over loopback: create, claim, reclaim, artifacts,
// upload to the putUrl, read back, resolve; and gets the real error codes when it does wrong.
import taskcluster from 'taskcluster-client';
import slugid from 'slugid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices } from '../../mocks/index.ts';

let mock: MockServices;
const worker = {
  clientId: 'static/worker',
  accessToken: 'worker-token-worker-token-worker-token-xx',
  scopes: ['queue:claim-work:prov/wt-client', 'queue:worker-id:g/w1'],
};

const taskDef = (overrides: Record<string, unknown> = {}) => {
  const now = Date.now();
  return {
    taskQueueId: 'prov/wt-client',
    created: new Date(now).toISOString(),
    deadline: new Date(now + 3600_000).toISOString(),
    payload: { command: [['true']], maxRunTime: 30 },
    metadata: { name: 't', description: 'd', owner: 'o@example.com', source: 'https://example.com' },
    ...overrides,
  };
};

beforeAll(async () => {
  mock = await startMockServices({ clients: [worker], longPollMs: 200, claimTimeoutSeconds: 600 });
});
afterAll(() => mock.close());

const queueAs = (credentials: { clientId: string; accessToken: string; certificate?: string }) =>
  new taskcluster.Queue({ rootUrl: mock.rootUrl, credentials, retries: 0 });

describe('taskcluster-client against the mock', () => {
  it('runs a task end to end: create, claim, reclaim, artifacts, resolve', async () => {
    const admin = queueAs(mock.admin);
    const taskId = slugid.nice();
    const created = await admin.createTask(taskId, taskDef());
    expect(created.status.state).toBe('pending');
    expect(created.status.runs).toEqual([
      { runId: 0, state: 'pending', reasonCreated: 'scheduled', scheduled: expect.any(String) },
    ]);

    const w = queueAs(worker);
    const claim = await w.claimWork('prov/wt-client', { workerGroup: 'g', workerId: 'w1', tasks: 4 });
    expect(claim.tasks).toHaveLength(1);
    const t = claim.tasks[0];
    expect(t.status.taskId).toBe(taskId);
    expect(t.takenUntil).toMatch(/\+00:00$/);
    expect(t.credentials.clientId).toMatch(new RegExp(`^task-client/${taskId}/0/on/g/w1/until/\\d+(\\.\\d+)?$`));
    const cert = JSON.parse(t.credentials.certificate);
    expect(cert.scopes).toEqual([
      `queue:reclaim-task:${taskId}/0`,
      `queue:resolve-task:${taskId}/0`,
      `queue:create-artifact:${taskId}/0`,
    ]);
    expect(cert.expiry).toBe(Date.parse(t.takenUntil));

    const run = queueAs(t.credentials);
    const re = await run.reclaimTask(taskId, 0);
    expect(re.credentials.clientId).not.toBe(t.credentials.clientId);
    const run2 = queueAs(re.credentials);

    const expires = new Date(Date.now() + 3600_000).toISOString();
    const s3 = await run2.createArtifact(taskId, 0, 'public/logs/live_backing.log', {
      storageType: 's3',
      contentType: 'text/plain; charset=utf-8',
      expires,
    });
    const put = await fetch(s3.putUrl, {
      method: 'PUT',
      body: 'hello log\n',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    expect(put.status).toBe(200);
    await run2.createArtifact(taskId, 0, 'public/missing.txt', {
      storageType: 'error',
      reason: 'file-missing-on-worker',
      message: 'not there',
      expires,
    });
    await run2.createArtifact(taskId, 0, 'public/ref', {
      storageType: 'reference',
      url: 'https://example.com/x',
      contentType: 'text/plain',
      expires,
    });

    const list = await admin.listArtifacts(taskId, 0);
    expect(list.artifacts.map((a: { name: string }) => a.name).sort()).toEqual([
      'public/logs/live_backing.log',
      'public/missing.txt',
      'public/ref',
    ]);
    const content = await admin.artifact(taskId, 0, 'public/logs/live_backing.log');
    expect(content.storageType).toBe('s3');
    expect(await (await fetch(content.url)).text()).toBe('hello log\n');
    const err = await admin.artifact(taskId, 0, 'public/missing.txt');
    expect(err).toEqual({ storageType: 'error', reason: 'file-missing-on-worker', message: 'not there' });
    // getArtifact through a signed URL: 303 for s3, 424 for error artifacts.
    const signed = admin.buildSignedUrl(admin.getArtifact, taskId, 0, 'public/logs/live_backing.log');
    const r303 = await fetch(signed, { redirect: 'manual' });
    expect(r303.status).toBe(303);
    expect(r303.headers.get('x-taskcluster-artifact-storage-type')).toBe('s3');
    const r424 = await fetch(admin.buildSignedUrl(admin.getArtifact, taskId, 0, 'public/missing.txt'), {
      redirect: 'manual',
    });
    expect(r424.status).toBe(424);

    const done = await run2.reportCompleted(taskId, 0);
    expect(done.status.state).toBe('completed');
    expect(done.status.runs[0].reasonResolved).toBe('completed');
  });

  it('gets the real error codes when it does something wrong', async () => {
    const admin = queueAs(mock.admin);
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string; statusCode?: number }) => `${e.statusCode} ${e.code}`,
      );
    expect(
      await code(
        queueAs({ ...worker, accessToken: 'wrong' }).claimWork('prov/wt-client', { workerGroup: 'g', workerId: 'w1' }),
      ),
    ).toBe('401 AuthenticationFailed');
    expect(await code(queueAs(worker).claimWork('prov/wt-client', { workerGroup: 'g', workerId: 'other' }))).toBe(
      '403 InsufficientScopes',
    );
    expect(await code(admin.status(slugid.nice()))).toBe('404 ResourceNotFound');
    expect(
      await code(queueAs(worker).claimWork('prov/wt-client', { workerGroup: 'g', workerId: 'w1', tasks: 33 })),
    ).toBe('400 InputValidationError');
    const taskId = slugid.nice();
    await admin.createTask(taskId, taskDef());
    expect(await code(admin.createTask(taskId, taskDef({ retries: 1 })))).toBe('409 RequestConflict');
    expect(await code(admin.reportCompleted(taskId, 0))).toBe('409 RequestConflict'); // pending, not running
    expect(await code(admin.reclaimTask(taskId, 1))).toBe('404 ResourceNotFound');
  });
});
