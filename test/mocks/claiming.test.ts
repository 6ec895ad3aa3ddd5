// claimWork over loopback: long poll, empty answers, concurrent claimers never share a run.
import slugid from 'slugid';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices } from '../../mocks/index.ts';
import { call, taskBody } from './helpers.ts';

let mock: MockServices;
afterEach(() => mock?.close());

const Q = 'prov/wt-claim';
const claimWork = (workerId: string, tasks = 1) =>
  call(mock.rootUrl, 'POST', `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`, {
    creds: mock.admin,
    body: { workerGroup: 'g', workerId, tasks },
  });

describe('claimWork', () => {
  it('answers {tasks: []} when nothing is claimable once the long poll ends', async () => {
    mock = await startMockServices({ longPollMs: 50 });
    const r = await claimWork('w1');
    expect(r).toMatchObject({ status: 200, body: { tasks: [] } });
  });

  it('returns as soon as a task is created during the long poll', async () => {
    // A long poll far beyond the test timeout: only a wake-up on createTask can make this pass.
    mock = await startMockServices({ longPollMs: 600_000 });
    const pending = claimWork('w1');
    const taskId = slugid.nice();
    const created = await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, {
      creds: mock.admin,
      body: taskBody(Q),
    });
    expect(created.status).toBe(200);
    const r = await pending;
    expect(r.body.tasks.map((t: any) => t.status.taskId)).toEqual([taskId]);
  }, 10_000);

  it('accepts the taskQueueId with a raw slash as well as %2F', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${slugid.nice()}`, { creds: mock.admin, body: taskBody(Q) });
    const r = await call(mock.rootUrl, 'POST', `/api/queue/v1/claim-work/${Q}`, {
      creds: mock.admin,
      body: { workerGroup: 'g', workerId: 'w' },
    });
    expect(r.body.tasks).toHaveLength(1);
  });

  it('never hands the same run to two concurrent claimers', async () => {
    mock = await startMockServices({ longPollMs: 100 });
    const ids = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const id = slugid.nice();
      ids.add(id);
      await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${id}`, { creds: mock.admin, body: taskBody(Q) });
    }
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => claimWork(`w${i}`, 3)));
    const claimed = results.flatMap((r) => r.body.tasks.map((t: any) => `${t.status.taskId}/${t.runId}`));
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed).toHaveLength(24);
    expect(new Set(claimed.map((c) => c.split('/')[0]))).toEqual(ids);
    for (const r of results) for (const t of r.body.tasks) expect(t.status.runs[t.runId].workerId).toBe(t.workerId);
  });

  it('gives a quarantined worker nothing (after the full wait) while others still claim; getWorker shows it', async () => {
    mock = await startMockServices({ longPollMs: 50 });
    const taskId = slugid.nice();
    await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, { creds: mock.admin, body: taskBody(Q) });
    const workerPath = '/api/queue/v1/provisioners/prov/worker-types/wt-claim/workers/g/w1';
    const until = new Date(Date.now() + 3600_000).toISOString();
    const q = await call(mock.rootUrl, 'PUT', workerPath, {
      creds: mock.admin,
      body: { quarantineUntil: until, quarantineInfo: 'broken disk' },
    });
    expect(q.body).toMatchObject({
      workerId: 'w1',
      quarantineUntil: until,
      quarantineDetails: [{ quarantineInfo: 'broken disk', clientId: mock.admin.clientId }],
    });
    expect((await claimWork('w1')).body.tasks).toEqual([]);
    expect((await claimWork('w2')).body.tasks.map((t: any) => t.status.taskId)).toEqual([taskId]);
    const w2 = await call(mock.rootUrl, 'GET', '/api/queue/v1/provisioners/prov/worker-types/wt-claim/workers/g/w2', {
      creds: mock.admin,
    });
    expect(w2.body.recentTasks).toEqual([{ taskId, runId: 0 }]);
    const unknown = await call(
      mock.rootUrl,
      'GET',
      '/api/queue/v1/provisioners/prov/worker-types/wt-claim/workers/g/nobody',
      { creds: mock.admin },
    );
    expect(unknown.status).toBe(404);
  });
});
