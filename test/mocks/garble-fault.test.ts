// The `garble` fault: a 200 whose body is not the route's JSON, and nothing changed behind it.
import slugid from 'slugid';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServices, startMockServices, validateFaultRule } from '../../mocks/index.ts';
import { call, taskBody } from './helpers.ts';

let mock: MockServices;
afterEach(() => mock?.close());
const Q = 'prov/wt-garble';

describe('garble fault', () => {
  it('answers 200 with truncated JSON, an HTML page or nothing, without claiming the task', async () => {
    mock = await startMockServices({ longPollMs: 10 });
    const taskId = slugid.nice();
    await call(mock.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, {
      creds: mock.admin,
      body: taskBody(Q, mock.model.now()),
    });
    const path = `/api/queue/v1/claim-work/${encodeURIComponent(Q)}`;
    const body = { workerGroup: 'g', workerId: 'w' };
    const seen: string[] = [];
    for (const garble of ['truncated', 'html', 'empty'] as const) {
      const id = mock.faults.add({ route: 'claimWork', garble, times: 1 });
      const res = await fetch(`${mock.rootUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(() => JSON.parse(text)).toThrow();
      seen.push(res.headers.get('content-type') ?? '');
      mock.faults.remove(id);
    }
    expect(seen[1]).toMatch(/text\/html/);
    expect(
      mock.trace
        .entries()
        .filter((e) => e.route === 'claimWork')
        .map((e) => e.fault),
    ).toEqual(['garble truncated', 'garble html', 'garble empty']);
    // Nothing was claimed behind the garbled answers: the next claim gets the task's first run.
    const r = await call(mock.rootUrl, 'POST', path, { creds: mock.admin, body });
    expect(r.body.tasks.map((t: any) => [t.status.taskId, t.runId])).toEqual([[taskId, 0]]);
  });

  it('refuses an unknown garble kind, naming the field', () => {
    expect(() => validateFaultRule({ route: 'claimWork', garble: 'noise' })).toThrow(/garble: must be one of/);
  });
});
