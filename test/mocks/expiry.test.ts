// Claim expiry driven by the mock's own timer (real clock): a worker that stops reclaiming loses the
// run at takenUntil, and a waiting claimWork picks up the retry run without any other call.
import slugid from 'slugid';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices } from '../../mocks/index.ts';
import { call, taskBody } from './helpers.ts';

let mock: MockServices;
afterEach(() => mock?.close());
const Q = 'prov/wt-expiry';

describe('claim expiry on the real clock', () => {
  it('resolves claim-expired at takenUntil and wakes a long-polling claimer with the retry run', async () => {
    mock = await startMockServices({ claimTimeoutSeconds: 1, longPollMs: 30_000 });
    const taskId = slugid.nice();
    await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, { creds: mock.admin, body: taskBody(Q) });
    const path = `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`;
    const first = await call(mock.rootUrl, 'POST', path, {
      creds: mock.admin,
      body: { workerGroup: 'g', workerId: 'w1' },
    });
    expect(first.body.tasks[0].runId).toBe(0);
    const second = await call(mock.rootUrl, 'POST', path, {
      creds: mock.admin,
      body: { workerGroup: 'g', workerId: 'w2' },
    });
    expect(second.body.tasks[0]).toMatchObject({ runId: 1, workerId: 'w2' });
    const runs = second.body.tasks[0].status.runs;
    expect(runs[0]).toMatchObject({
      state: 'exception',
      reasonResolved: 'claim-expired',
      resolved: runs[0].takenUntil,
    });
    expect(runs[1]).toMatchObject({ state: 'running', reasonCreated: 'retry' });
    const late = await call(mock.rootUrl, 'POST', `/api/queue/v1/task/${taskId}/runs/0/reclaim`, {
      creds: first.body.tasks[0].credentials,
    });
    expect(late.status).toBe(409);
  }, 15_000);
});
