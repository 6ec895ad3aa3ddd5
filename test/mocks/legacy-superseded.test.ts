// generic-worker 11.0.1 resolved superseded tasks with reportException reason `superseded`; the current Queue
// refuses that reason (400), so the mock accepts it only when started as the v11-era Queue.
import taskcluster from 'taskcluster-client';
import slugid from 'slugid';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices } from '../../mocks/index.ts';

let mock: MockServices | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

async function claimOne(m: MockServices) {
  const admin = new taskcluster.Queue({ rootUrl: m.rootUrl, credentials: m.admin, retries: 0 });
  const now = Date.now();
  const taskId = slugid.nice();
  await admin.createTask(taskId, {
    taskQueueId: 'prov/wt-legacy',
    created: new Date(now).toISOString(),
    deadline: new Date(now + 3600_000).toISOString(),
    payload: {},
    metadata: { name: 't', description: 'd', owner: 'o@example.com', source: 'https://example.com' },
  });
  const claim = await admin.claimWork('prov/wt-legacy', { workerGroup: 'g', workerId: 'w', tasks: 1 });
  const run = new taskcluster.Queue({ rootUrl: m.rootUrl, credentials: claim.tasks[0].credentials, retries: 0 });
  return { taskId, run };
}

describe('reportException reason superseded', () => {
  it('is refused by default with InputValidationError, as the current Queue does', async () => {
    mock = await startMockServices({ longPollMs: 100 });
    const { taskId, run } = await claimOne(mock);
    const err = await run.reportException(taskId, 0, { reason: 'superseded' }).catch((e: any) => e);
    expect([err.statusCode, err.code]).toEqual([400, 'InputValidationError']);
  });

  it('resolves exception/superseded without a retry run on the v11-era Queue', async () => {
    mock = await startMockServices({ longPollMs: 100, legacySupersededReason: true });
    const { taskId, run } = await claimOne(mock);
    const res = await run.reportException(taskId, 0, { reason: 'superseded' });
    expect(res.status.state).toBe('exception');
    expect(res.status.runs).toHaveLength(1);
    expect([res.status.runs[0].state, res.status.runs[0].reasonResolved]).toEqual(['exception', 'superseded']);
  });
});
