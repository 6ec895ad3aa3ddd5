// Model-based test: random call sequences against QueueModel and a deliberately small model of the
// same rules; after every call both must agree on the answer and on every task's runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.ts';
import type { ExceptionReason } from './model.ts';
import { type ModelHarness, modelHarness } from './testing.ts';

const TIMEOUT = 20_000;
const DEADLINE = 120_000;
type Open = 'pending' | 'running';
interface MRun {
  state: Open | 'completed' | 'failed' | 'exception';
  reasonCreated: string;
  reasonResolved?: string;
  takenUntil?: number;
}
interface MTask {
  runs: MRun[];
  retries: number;
  retriesLeft: number;
  deadline: number;
  pendingSeq: number;
}
interface Small {
  now: number;
  seq: number;
  tasks: (MTask | undefined)[];
}
interface Real {
  h: ModelHarness;
  ids: string[];
}

const outcome = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof ApiError) return String(e.status);
    throw e;
  }
};
const isOpen = (r?: MRun) => !r || r.state === 'pending' || r.state === 'running';
function addRun(m: Small, t: MTask, reasonCreated: string) {
  t.runs.push({ state: 'pending', reasonCreated });
  t.pendingSeq = m.seq++;
}
function resolve(m: Small, t: MTask, state: MRun['state'], reason: string, retry?: string) {
  const r = t.runs.at(-1)!;
  r.state = state;
  r.reasonResolved = reason;
  if (retry && t.retriesLeft > 0) {
    t.retriesLeft--;
    addRun(m, t, retry);
  }
}
/** The small model's own statement of expiry and deadlines. */
function advance(m: Small, ms: number) {
  m.now += ms;
  const live = m.tasks.filter((t): t is MTask => !!t);
  const due = live.filter((t) => {
    const r = t.runs.at(-1)!;
    return r.state === 'running' && r.takenUntil! <= m.now && r.takenUntil! < t.deadline;
  });
  due.sort((a, b) => a.runs.at(-1)!.takenUntil! - b.runs.at(-1)!.takenUntil!);
  for (const t of due) resolve(m, t, 'exception', 'claim-expired', 'retry');
  for (const t of live)
    if (isOpen(t.runs.at(-1)) && t.deadline <= m.now) resolve(m, t, 'exception', 'deadline-exceeded');
}

function agree(m: Small, r: Real) {
  m.tasks.forEach((t, k) => {
    if (!t) return;
    const s = r.h.model.status(r.ids[k]);
    expect(s.retriesLeft).toBe(t.retriesLeft);
    expect(s.state).toBe(t.runs.at(-1)!.state);
    expect(s.runs.map((x: any) => [x.runId, x.state, x.reasonCreated, x.reasonResolved ?? null])).toEqual(
      t.runs.map((x, i) => [i, x.state, x.reasonCreated, x.reasonResolved ?? null]),
    );
    // Only the last run may be open.
    expect(s.runs.slice(0, -1).every((x: any) => !['pending', 'running'].includes(x.state))).toBe(true);
  });
}

type Cmd = fc.Command<Small, Real>;
const cmd = (name: string, check: (m: Small) => boolean, run: (m: Small, r: Real) => void): Cmd => ({
  check,
  run(m, r) {
    run(m, r);
    agree(m, r);
  },
  toString: () => name,
});

const k = fc.integer({ min: 0, max: 2 });
const commands = [
  fc.integer({ min: 1, max: 3 }).map((n) =>
    cmd(
      `claimWork(${n})`,
      () => true,
      (m, r) => {
        const got = r.h.model.claimWork('prov/wt-unit', 'g', 'w', n).map((c) => r.ids.indexOf(c.status.taskId));
        const want = m.tasks
          .map((t, i) => [t, i] as const)
          .filter(([t]) => t?.runs.at(-1)?.state === 'pending')
          .sort(([a], [b]) => a!.pendingSeq - b!.pendingSeq)
          .slice(0, n)
          .map(([t, i]) => {
            Object.assign(t!.runs.at(-1)!, { state: 'running', takenUntil: m.now + TIMEOUT });
            return i;
          });
        expect(got).toEqual(want);
      },
    ),
  ),
  k.map((i) =>
    cmd(
      `reclaim(${i})`,
      (m) => !!m.tasks[i],
      (m, r) => {
        const t = m.tasks[i]!;
        const last = t.runs.at(-1)!;
        const want = t.deadline <= m.now ? '409' : last.state === 'running' ? 'ok' : '409';
        if (want === 'ok') last.takenUntil = m.now + TIMEOUT;
        expect(outcome(() => r.h.model.reclaimTask(r.ids[i], t.runs.length - 1))).toBe(want);
      },
    ),
  ),
  fc.tuple(k, fc.constantFrom('completed', 'failed') as fc.Arbitrary<'completed' | 'failed'>).map(([i, target]) =>
    cmd(
      `report ${target}(${i})`,
      (m) => !!m.tasks[i],
      (m, r) => {
        const t = m.tasks[i]!;
        const runId = t.runs.length - 1;
        const last = t.runs[runId];
        let want = '409';
        if (last.state === 'running') {
          resolve(m, t, target, target);
          want = 'ok';
        } else if (last.state === target) want = 'ok';
        expect(outcome(() => r.h.model.reportResolved(r.ids[i], runId, target))).toBe(want);
      },
    ),
  ),
  fc
    .tuple(
      k,
      fc.constantFrom<ExceptionReason>('worker-shutdown', 'intermittent-task', 'malformed-payload', 'internal-error'),
    )
    .map(([i, reason]) =>
      cmd(
        `reportException(${i}, ${reason})`,
        (m) => !!m.tasks[i],
        (m, r) => {
          const t = m.tasks[i]!;
          const runId = t.runs.length - 1;
          const last = t.runs[runId];
          let want = '409';
          if (last.state === 'running') {
            const retry =
              reason === 'worker-shutdown' ? 'retry' : reason === 'intermittent-task' ? 'task-retry' : undefined;
            resolve(m, t, 'exception', reason, retry);
            want = 'ok';
          } else if (last.state === 'exception' && last.reasonResolved === reason) want = 'ok';
          expect(outcome(() => r.h.model.reportException(r.ids[i], runId, reason))).toBe(want);
        },
      ),
    ),
  k.map((i) =>
    cmd(
      `cancel(${i})`,
      (m) => !!m.tasks[i],
      (m, r) => {
        const t = m.tasks[i]!;
        let want = 'ok';
        if (t.deadline <= m.now) want = '409';
        else if (isOpen(t.runs.at(-1))) resolve(m, t, 'exception', 'canceled');
        expect(outcome(() => r.h.model.cancelTask(r.ids[i]))).toBe(want);
      },
    ),
  ),
  k.map((i) =>
    cmd(
      `rerun(${i})`,
      (m) => !!m.tasks[i],
      (m, r) => {
        const t = m.tasks[i]!;
        let want = 'ok';
        if (t.deadline <= m.now) want = '409';
        else if (!isOpen(t.runs.at(-1))) {
          t.retriesLeft = Math.max(0, Math.min(t.retries, 50 - (t.runs.length - 1) - 2));
          addRun(m, t, 'rerun');
        }
        expect(outcome(() => r.h.model.rerunTask(r.ids[i]))).toBe(want);
      },
    ),
  ),
  fc.integer({ min: 1, max: 30_000 }).map((ms) =>
    cmd(
      `advance(${ms})`,
      () => true,
      (m, r) => {
        advance(m, ms);
        r.h.advance(ms);
      },
    ),
  ),
];

describe('QueueModel against a small model', () => {
  it('agrees on every answer and every run for random call sequences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
        fc.commands(commands, { maxCommands: 60, size: 'max' }),
        (retries, cmds) => {
          const h = modelHarness(TIMEOUT / 1000);
          try {
            fc.modelRun(() => {
              // Three tasks on one queue, each with its own retries, created before the calls begin.
              const m: Small = { now: h.now(), seq: 0, tasks: [] };
              const ids = retries.map((n, i) => {
                m.tasks[i] = { runs: [], retries: n, retriesLeft: n, deadline: m.now + DEADLINE, pendingSeq: 0 };
                addRun(m, m.tasks[i]!, 'scheduled');
                return h.create({ retries: n }, DEADLINE);
              });
              return { model: m, real: { h, ids } };
            }, cmds);
          } finally {
            h.model.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
