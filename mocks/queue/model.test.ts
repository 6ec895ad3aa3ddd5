import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../errors.ts';
import { type ModelHarness, modelHarness } from './testing.ts';

let h: ModelHarness;
afterEach(() => h?.model.close());

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof ApiError ? `${e.status} ${e.code}` : String(e);
  }
};
const runs = (taskId: string) =>
  h.model.status(taskId).runs.map((r: any) => [r.state, r.reasonCreated, r.reasonResolved].filter(Boolean).join('/'));

describe('QueueModel state machine', () => {
  it('expires a claim exactly at takenUntil and retries with retriesLeft counted down', () => {
    h = modelHarness(20);
    const id = h.create({ retries: 1 });
    const [c] = h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    expect(Date.parse(c.status.runs[0].takenUntil)).toBe(h.now() + 20_000);
    h.advance(19_999);
    expect(h.model.status(id).state).toBe('running');
    h.advance(1);
    expect(runs(id)).toEqual(['exception/scheduled/claim-expired', 'pending/retry']);
    expect(h.model.status(id).retriesLeft).toBe(0);
    expect(h.model.status(id).runs[0].resolved).toBe(c.status.runs[0].takenUntil);
    expect(codeOf(() => h.model.reclaimTask(id, 0))).toBe('409 RequestConflict');
    h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    h.advance(20_000);
    expect(runs(id)).toEqual(['exception/scheduled/claim-expired', 'exception/retry/claim-expired']);
    expect(h.model.status(id).state).toBe('exception');
  });

  it('leaves the run pending when building the claim fails, so the next claimWork gets it', () => {
    h = modelHarness(20);
    const id = h.create();
    const issue = h.model.deps.issueCredentials;
    h.model.deps.issueCredentials = () => {
      throw new Error('signing failed');
    };
    expect(codeOf(() => h.model.claimWork('prov/wt-unit', 'g', 'w', 1))).toBe('Error: signing failed');
    expect(runs(id)).toEqual(['pending/scheduled']);
    h.model.deps.issueCredentials = issue;
    const [c] = h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    expect(c.status.taskId).toBe(id);
    expect(runs(id)).toEqual(['running/scheduled']);
  });

  it('moves takenUntil on reclaim so the old expiry no longer applies', () => {
    h = modelHarness(20);
    const id = h.create();
    h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    h.advance(15_000);
    const r = h.model.reclaimTask(id, 0);
    expect(Date.parse(r.takenUntil)).toBe(h.now() + 20_000);
    h.advance(10_000);
    expect(h.model.status(id).state).toBe('running');
  });

  it('uses a per-task-queue claim timeout for claimWork, claimTask and reclaimTask; others keep the default', () => {
    h = modelHarness(20);
    h.model.setClaimTimeout('prov/wt-short', 5);
    const short = h.create({ taskQueueId: 'prov/wt-short', workerType: 'wt-short' });
    const other = h.create();
    const [c] = h.model.claimWork('prov/wt-short', 'g', 'w', 1);
    expect(Date.parse(c.takenUntil)).toBe(h.now() + 5_000);
    const [d] = h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    expect(Date.parse(d.takenUntil)).toBe(h.now() + 20_000);
    h.advance(4_000);
    expect(Date.parse(h.model.reclaimTask(short, 0).takenUntil)).toBe(h.now() + 5_000);
    h.advance(5_000);
    expect(runs(short)).toEqual(['exception/scheduled/claim-expired', 'pending/retry']);
    expect(h.model.status(other).state).toBe('running');
    expect(Date.parse(h.model.claimTask(short, 1, 'g', 'w').takenUntil)).toBe(h.now() + 5_000);
    h.model.setClaimTimeout('prov/wt-short', undefined);
    expect(Date.parse(h.model.reclaimTask(short, 1).takenUntil)).toBe(h.now() + 20_000);
    expect(() => h.model.setClaimTimeout('prov/wt-short', 0)).toThrow(/positive/);
  });

  it('retries worker-shutdown (retry) and intermittent-task (task-retry), not other reasons', () => {
    h = modelHarness();
    const a = h.create();
    h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    h.model.reportException(a, 0, 'worker-shutdown');
    expect(runs(a)).toEqual(['exception/scheduled/worker-shutdown', 'pending/retry']);
    h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    h.model.reportException(a, 1, 'intermittent-task');
    expect(runs(a).at(-1)).toBe('pending/task-retry');
    expect(h.model.status(a).retriesLeft).toBe(3);
    h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    h.model.reportException(a, 2, 'malformed-payload');
    expect(h.model.status(a).state).toBe('exception');
    expect(h.model.status(a).runs).toHaveLength(3);
  });

  it('resolves idempotently and answers 409 to a different resolution', () => {
    h = modelHarness();
    const a = h.create();
    h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    h.model.reportResolved(a, 0, 'completed');
    expect(codeOf(() => h.model.reportResolved(a, 0, 'completed'))).toBe('ok');
    expect(codeOf(() => h.model.reportResolved(a, 0, 'failed'))).toBe('409 RequestConflict');
    expect(codeOf(() => h.model.reportException(a, 0, 'internal-error'))).toBe('409 RequestConflict');
    const b = h.create();
    h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    h.model.reportException(b, 0, 'internal-error');
    expect(codeOf(() => h.model.reportException(b, 0, 'internal-error'))).toBe('ok');
    expect(codeOf(() => h.model.reportException(b, 0, 'resource-unavailable'))).toBe('409 RequestConflict');
  });

  it('cancel: the holder gets 409 on reclaim and resolve, but may still upload artifacts for 25 min', () => {
    h = modelHarness();
    const a = h.create();
    h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    h.model.cancelTask(a);
    expect(runs(a)).toEqual(['exception/scheduled/canceled']);
    expect(codeOf(() => h.model.reclaimTask(a, 0))).toBe('409 RequestConflict');
    expect(codeOf(() => h.model.reportResolved(a, 0, 'completed'))).toBe('409 RequestConflict');
    expect(codeOf(() => h.model.reportException(a, 0, 'worker-shutdown'))).toBe('409 RequestConflict');
    const expires = new Date(h.now() + 3600_000).toISOString();
    const art = (name: string) => () =>
      h.model.createArtifact(a, 0, name, {
        storageType: 'error',
        reason: 'file-missing-on-worker',
        message: 'm',
        expires,
      });
    expect(codeOf(art('public/a'))).toBe('ok');
    h.advance(25 * 60_000);
    expect(codeOf(art('public/b'))).toBe('409 RequestConflict');
    // Cancelling an unscheduled task adds an exception run.
    const dep = h.create({ dependencies: [h.create()] });
    h.model.cancelTask(dep);
    expect(runs(dep)).toEqual(['exception/exception/canceled']);
  });

  it('resolves open tasks deadline-exceeded at the deadline; reclaim, cancel and rerun get 409 after it', () => {
    h = modelHarness(600);
    const a = h.create({}, 60_000);
    const b = h.create({ dependencies: [a] }, 60_000);
    h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    h.advance(60_000);
    expect(runs(a)).toEqual(['exception/scheduled/deadline-exceeded']);
    expect(runs(b)).toEqual(['exception/exception/deadline-exceeded']);
    expect(codeOf(() => h.model.reclaimTask(a, 0))).toBe('409 RequestConflict');
    expect(codeOf(() => h.model.cancelTask(a))).toBe('409 RequestConflict');
    expect(codeOf(() => h.model.rerunTask(a))).toBe('409 RequestConflict');
  });

  it('hands out pending runs by priority, then first come first served', () => {
    h = modelHarness();
    const low = h.create({ priority: 'low' });
    const high1 = h.create({ priority: 'high' });
    const high2 = h.create({ priority: 'high' });
    const claims = h.model.claimWork('prov/wt-unit', 'g', 'w', 32);
    expect(claims.map((c) => c.status.taskId)).toEqual([high1, high2, low]);
    expect(h.model.claimWork('prov/wt-unit', 'g', 'w', 32)).toEqual([]);
  });

  it('schedules dependents when their dependencies complete; rerun adds a rerun run', () => {
    h = modelHarness();
    const a = h.create();
    const b = h.create({ dependencies: [a] });
    expect(h.model.status(b).state).toBe('unscheduled');
    h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    h.model.reportResolved(a, 0, 'completed');
    expect(runs(b)).toEqual(['pending/scheduled']);
    h.model.rerunTask(a);
    expect(runs(a)).toEqual(['completed/scheduled/completed', 'pending/rerun']);
  });

  it('validates createTask like the real Queue and is idempotent only for the same definition', () => {
    h = modelHarness();
    const body = h.def();
    h.model.createTask('aaaaaaaaQaaaaaaaaaaaaA', body);
    expect(codeOf(() => h.model.createTask('aaaaaaaaQaaaaaaaaaaaaA', body))).toBe('ok');
    expect(codeOf(() => h.model.createTask('aaaaaaaaQaaaaaaaaaaaaA', { ...body, priority: 'high' }))).toBe(
      '409 RequestConflict',
    );
    expect(codeOf(() => h.model.createTask('bbbbbbbbQaaaaaaaaaaaaA', h.def({}, 6 * 24 * 3600_000)))).toBe(
      '400 InputError',
    );
    expect(
      codeOf(() =>
        h.model.createTask('bbbbbbbbQaaaaaaaaaaaaA', h.def({ created: new Date(h.now() - 3600_000).toISOString() })),
      ),
    ).toBe('400 InputError');
    expect(h.model.task('aaaaaaaaQaaaaaaaaaaaaA')).toMatchObject({
      schedulerId: '-',
      projectId: 'none',
      retries: 5,
      priority: 'lowest',
    });
  });
});

describe('createTask defaults', () => {
  it('migrates priority normal to lowest and sets expires one calendar year after the deadline', () => {
    h = modelHarness();
    const id = h.create({ priority: 'normal' });
    const t = h.model.task(id);
    expect(t.priority).toBe('lowest');
    const d = new Date(t.deadline);
    d.setUTCFullYear(d.getUTCFullYear() + 1);
    expect(t.expires).toBe(d.toISOString());
  });
});

describe('tick applies due events in time order', () => {
  it('expires a claim before a later scheduled cancel, which then cancels the retry run', () => {
    h = modelHarness(20);
    const id = h.create();
    h.model.claimWork('prov/wt-unit', 'g', 'w', 1);
    h.model.at(h.now() + 30_000, () => h.model.cancelTask(id));
    h.advance(60_000); // one jump past both moments
    expect(runs(id)).toEqual(['exception/scheduled/claim-expired', 'exception/retry/canceled']);
  });
});

describe('deadlineDelayMs (upstream-like deadline resolver delay)', () => {
  it('refuses reclaim from the deadline on but lets the holder resolve until the resolver runs', () => {
    h = modelHarness(600, undefined, 60_000);
    const a = h.create({}, 60_000);
    const b = h.create({}, 60_000);
    h.model.claimWork('prov/wt-unit', 'g', 'w', 2);
    h.advance(60_000);
    expect(codeOf(() => h.model.reclaimTask(a, 0))).toBe('409 RequestConflict');
    expect(codeOf(() => h.model.reportResolved(a, 0, 'completed'))).toBe('ok');
    h.advance(59_999);
    expect(h.model.status(b).state).toBe('running');
    h.advance(1);
    expect(h.model.status(b).runs[0]).toMatchObject({ state: 'exception', reasonResolved: 'deadline-exceeded' });
  });
});
