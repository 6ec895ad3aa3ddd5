// Capacity through the CLI (issue 11): `capacity: 3` and six tasks → three at once, each in its own task
// directory, every task resolved once, exit 0 after the sixth; SIGTERM aborts every running task.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, lastRun, runWorker, startHarness, startWorker, taskLog } from './harness.ts';

const posix = process.platform !== 'win32';

describe.skipIf(!posix)('tc-worker capacity', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('runs capacity tasks at once, each in its own directory, and exits 0 after numberOfTasksToRun', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      // Each task waits until three tasks have started (a marker per task in a shared directory), so it
      // can only complete if three ran at the same time; the wait is bounded so a failure ends the task.
      ids.push(
        await h.createTask({
          maxRunTime: 120,
          command: [
            [
              '/bin/bash',
              '-c',
              `echo "TASKDIR=$(pwd)"; touch "${h.dir}/started-$TASK_ID"; ` +
                `for i in $(seq 1 300); do n=$(ls "${h.dir}" | grep -c '^started-'); ` +
                `[ "$n" -ge ${i < 3 ? 3 : 6} ] && break; sleep 0.1; done; echo "SEEN=$n"; sleep 1`,
            ],
          ],
        }),
      );
    }
    const r = await runWorker(h, h.config({ capacity: 3, numberOfTasksToRun: 6 }), 120_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const dirs = new Set<string>();
    for (const id of ids) {
      const run = await lastRun(h, id);
      expect(run.state, id).toBe('completed');
      const { status } = await h.queue.status(id);
      expect(status.runs).toHaveLength(1);
      const log = await taskLog(h, id);
      dirs.add(/^TASKDIR=(\/.*)$/m.exec(log)![1]!);
      expect(Number(/^SEEN=(\d+)$/m.exec(log)![1])).toBeGreaterThanOrEqual(3);
    }
    expect(dirs.size).toBe(6);
    // claimWork never asked for more than the free slots, nor beyond numberOfTasksToRun.
    const claims = h.mock.trace.entries().filter((e) => e.route === 'claimWork' && e.path.includes(h.workerType));
    expect(claims.length).toBeGreaterThan(0);
    for (const c of claims) expect((c.request.body as { tasks: number }).tasks).toBeLessThanOrEqual(3);
    expect((claims[0]!.request.body as { tasks: number }).tasks).toBe(3);
  }, 150_000);

  it('SIGTERM aborts every running task (exception/worker-shutdown) and exits 72', async () => {
    const ids = [
      await h.createTask({ maxRunTime: 60, command: [['/bin/bash', '-c', 'echo running; sleep 60']] }),
      await h.createTask({ maxRunTime: 60, command: [['/bin/bash', '-c', 'echo running; sleep 60']] }),
    ];
    const w = startWorker(h, h.config({ capacity: 2, numberOfTasksToRun: 0 }), 90_000);
    // Both claimed: two `task claimed` lines in the worker log.
    for (let i = 0; i < 600 && (w.stderr().match(/task claimed/g) ?? []).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1500));
    w.child.kill('SIGTERM');
    const { code } = await w.exit;
    expect(code, w.stderr().slice(-3000)).toBe(72);
    for (const id of ids) {
      const run = await lastRun(h, id);
      expect([run.state, run.reasonResolved]).toEqual(['exception', 'worker-shutdown']);
    }
  }, 120_000);

  it('refuses overlapping per-slot port ranges (exit 73 naming the property)', async () => {
    const r = await runWorker(
      h,
      h.config({ capacity: 3, livelogPortBase: 40000, enableTaskclusterProxy: true, taskclusterProxyPort: 40004 }),
    );
    expect(r.code).toBe(73);
    expect(r.stderr).toMatch(/taskclusterProxyPort'.*overlap/);
  });
});
