// Faults around a running tc-worker (issue 10), as an operator would meet them: a task that leaves
// processes behind, a full disk, a worker killed with SIGKILL, SIGTERM during an upload, a FIFO given as
// an artifact. Each runs the real `tc-worker run` (tasks as the worker's own user) against the mock Queue,
// and each case failed before the fix it names.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import { ownCgroup } from '../../reference/sandbox/cgroup.ts';
import { processAlive, readPid, until } from '../helpers/process.ts';
import { fetchArtifact, type Harness, lastRun, runWorker, startHarness, startWorker, taskLog } from './harness.ts';

const linux = process.platform === 'linux';
const posix = process.platform !== 'win32';
const isRoot = linux && process.getuid?.() === 0;
const sh = (script: string) => ['/bin/sh', '-c', script];

/** Processes a failing case leaves behind must not outlive the test file. */
const started = new Set<number>();
function track(pid: number): number {
  started.add(pid);
  return pid;
}
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Why this process cannot make a child cgroup v2 (so the worker cannot either), or undefined when it can. */
async function noCgroupReason(): Promise<string | undefined> {
  const own = await ownCgroup();
  if (!own) return 'no cgroup v2 hierarchy mounted';
  const probe = join(own, `tc-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (e) {
    return `cannot create a cgroup under ${own}: ${(e as Error).message}`;
  }
}

/** A small tmpfs for disk-full cases; where mounting is not allowed the case is skipped, saying why. */
function smallFs(t: TestContext, dir: string, size = '8m'): string {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = `cannot mount a tmpfs: ${(r.stderr || r.error?.message || '').trim()}`;
    console.log(`faults.e2e: disk-full case skipped (${why})`);
    t.skip(why);
  }
  return dir;
}
function unmount(dir: string | undefined): void {
  if (dir) spawnSync('umount', ['-l', dir]);
}

describe.skipIf(!posix)('faults around tc-worker (tasks as the worker user)', () => {
  // A harness (mock Queue, worker type) per case: a case that fails leaves no pending task for the next.
  let h: Harness;
  const mounts: string[] = [];
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    for (const m of mounts.splice(0)) unmount(m);
    await h?.close();
  });

  it.skipIf(!linux)('item 5: nothing a task started outlives its run (nohup, setsid, double fork)', async () => {
    const dir = join(h.dir, 'leak');
    mkdirSync(dir);
    const taskId = await h.createTask({
      command: [
        sh(
          `nohup sh -c 'echo $$ > ${dir}/nohup.pid; exec sleep 300' >/dev/null 2>&1 & ` +
            `(setsid sh -c 'echo $$ > ${dir}/setsid.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &); ` +
            `(sh -c 'sleep 300 </dev/null >/dev/null 2>&1 & echo $! > ${dir}/double.pid' &); ` +
            `for f in nohup setsid double; do while [ ! -s ${dir}/$f.pid ]; do sleep 0.02; done; done; echo all-started`,
        ),
      ],
      maxRunTime: 30,
    });
    const r = await runWorker(h, h.config());
    const pids = ['nohup', 'setsid', 'double'].map((f) => track(readPid(join(dir, `${f}.pid`))!));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(await lastRun(h, taskId)).toMatchObject({ state: 'completed' });
    expect(await taskLog(h, taskId)).toContain('all-started');
    expect(pids.map((p) => [p, processAlive(p)])).toEqual(pids.map((p) => [p, false]));
  });

  it.skipIf(!linux)(
    'item 5: with a cgroup v2, even a process that leaves the session and clears its environment is gone',
    async (t) => {
      const why = await noCgroupReason();
      if (why) {
        console.log(`faults.e2e: cgroup case skipped (${why})`);
        t.skip(why);
      }
      const dir = join(h.dir, 'leak-clean');
      mkdirSync(dir);
      const taskId = await h.createTask({
        command: [
          sh(
            `(env -i /usr/bin/setsid /bin/sh -c 'echo $$ > ${dir}/clean.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &); ` +
              `while [ ! -s ${dir}/clean.pid ]; do sleep 0.02; done; echo started-clean`,
          ),
        ],
        maxRunTime: 30,
      });
      const r = await runWorker(h, h.config());
      const pid = track(readPid(join(dir, 'clean.pid'))!);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      const log = await taskLog(h, taskId);
      expect(log).toContain('started-clean');
      expect(log).toMatch(/Processes of this run are tracked by cgroup v2 /);
      expect(processAlive(pid)).toBe(false);
    },
  );

  it('a FIFO given as a file artifact is refused (invalid-resource-on-worker), the worker does not block on it', async () => {
    const taskId = await h.createTask({
      command: [sh('mkfifo fifo && echo made')],
      maxRunTime: 30,
      artifacts: [{ type: 'file', path: 'fifo', name: 'public/fifo' }],
    });
    const r = await runWorker(h, h.config(), 40_000);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(await lastRun(h, taskId)).toMatchObject({ state: 'failed' });
    const a = await fetchArtifact(h, taskId, 0, 'public/fifo');
    expect([a.storageType, a.reason]).toEqual(['error', 'invalid-resource-on-worker']);
  });

  it('item 8: SIGTERM during an artifact upload resolves the run exception/worker-shutdown and exits 72', async () => {
    const taskId = await h.createTask({
      command: [sh('echo payload > slow.bin && echo ran')],
      maxRunTime: 30,
      artifacts: [{ type: 'file', path: 'slow.bin', name: 'public/slow.bin' }],
    });
    h.mock.faults.add({ route: 'storePut', path: 'public/slow\\.bin', delayMs: 4000, times: 1 });
    const from = h.mock.trace.last();
    const w = startWorker(h, h.config());
    await until('createArtifact public/slow.bin', () =>
      h.mock.trace
        .since(from)
        .some(
          (e) =>
            e.route === 'createArtifact' &&
            e.taskId === taskId &&
            decodeURIComponent(e.path).includes('public/slow.bin'),
        ),
    );
    w.child.kill('SIGTERM');
    const { code } = await w.exit;
    expect(code, w.stderr().slice(-2000)).toBe(72);
    expect(await lastRun(h, taskId)).toMatchObject({ state: 'exception', reasonResolved: 'worker-shutdown' });
    const log = await taskLog(h, taskId);
    expect(log).toContain('graceful termination requested');
  });

  it.skipIf(!linux)(
    'item 7: after kill -9 of the worker, a fresh one removes the old task directory and its processes',
    async () => {
      const dir = join(h.dir, 'orphans');
      mkdirSync(dir);
      const taskId = await h.createTask({
        command: [
          sh(
            `(setsid sh -c 'echo $$ > ${dir}/escaped.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &); ` +
              `echo $$ > ${dir}/main.pid; exec sleep 300`,
          ),
        ],
        maxRunTime: 60,
      });
      const tasksDir = join(h.dir, 'tasks-killed');
      const first = startWorker(h, h.config({ tasksDir, numberOfTasksToRun: 0 }), 60_000);
      const main = track(await until('main.pid', () => readPid(join(dir, 'main.pid'))));
      const escaped = track(await until('escaped.pid', () => readPid(join(dir, 'escaped.pid'))));
      expect(await lastRun(h, taskId)).toMatchObject({ state: 'running' });
      const taskDirs = readdirSync(tasksDir).filter((n) => n.startsWith('task_'));
      expect(taskDirs).toHaveLength(1);
      first.child.kill('SIGKILL');
      await first.exit;
      expect([processAlive(main), processAlive(escaped)]).toEqual([true, true]); // the SIGKILL left them
      const second = await runWorker(h, h.config({ tasksDir, numberOfTasksToRun: 0, idleTimeoutSecs: 1 }));
      expect(second.code, second.stderr.slice(-2000)).toBe(68);
      expect(existsSync(join(tasksDir, taskDirs[0]!))).toBe(false);
      expect([processAlive(main), processAlive(escaped)]).toEqual([false, false]);
    },
  );

  it.skipIf(!linux)("item 7: a fresh worker leaves a live worker's task directory and processes alone", async () => {
    const dir = join(h.dir, 'live-other');
    mkdirSync(dir);
    const release = join(dir, 'release');
    const taskId = await h.createTask({
      command: [
        sh(
          `(setsid sh -c 'echo $$ > ${dir}/escaped.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &); ` +
            `echo $$ > ${dir}/main.pid; while [ ! -f ${release} ]; do sleep 0.05; done; echo released`,
        ),
      ],
      maxRunTime: 60,
    });
    const tasksDir = join(h.dir, 'tasks-shared');
    const first = startWorker(h, h.config({ tasksDir }), 60_000);
    const main = track(await until('main.pid', () => readPid(join(dir, 'main.pid'))));
    const escaped = track(await until('escaped.pid', () => readPid(join(dir, 'escaped.pid'))));
    const before = readdirSync(tasksDir).filter((n) => n.startsWith('task_'));
    const second = await runWorker(h, h.config({ tasksDir, numberOfTasksToRun: 0, idleTimeoutSecs: 1 }));
    expect(second.code, second.stderr.slice(-2000)).toBe(68);
    expect(readdirSync(tasksDir).filter((n) => n.startsWith('task_'))).toEqual(before);
    expect([processAlive(main), processAlive(escaped)]).toEqual([true, true]);
    writeFileSync(release, '');
    const { code } = await first.exit;
    expect(code, first.stderr().slice(-2000)).toBe(0);
    expect(await lastRun(h, taskId)).toMatchObject({ state: 'completed' });
    expect(await taskLog(h, taskId)).toContain('released');
  });

  it.skipIf(!isRoot)(
    'item 6: a full tasksDir resolves the task with the reason in its log; the worker keeps serving',
    async (t) => {
      const small = smallFs(t, join(h.dir, 'small-tasks'));
      mounts.push(small);
      const filler = await h.createTask({
        command: [sh("head -c 30000000 /dev/zero | tr '\\0' x; echo")],
        maxRunTime: 60,
      });
      const after = await h.createTask({ command: [sh('echo second-task-ran')], maxRunTime: 30 });
      const r = await runWorker(
        h,
        h.config({ tasksDir: join(small, 'tasks'), requiredDiskSpaceMegabytes: 1, numberOfTasksToRun: 2 }),
        60_000,
      );
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      expect(await lastRun(h, filler)).toMatchObject({ state: 'failed' });
      expect(await taskLog(h, filler)).toMatch(/no space left on device/i);
      expect(await lastRun(h, after)).toMatchObject({ state: 'completed' });
      expect(await taskLog(h, after)).toContain('second-task-ran');
    },
  );

  it.skipIf(!isRoot)("item 6: a task that fills TMPDIR does not break later tasks' log uploads", async (t) => {
    const tmp = smallFs(t, join(h.dir, 'small-tmp'));
    mounts.push(tmp);
    const filler = await h.createTask({
      command: [sh('dd if=/dev/zero of="$TMPDIR/fill" bs=1M count=20 2>/dev/null; echo filled')],
      maxRunTime: 60,
    });
    const after = await h.createTask({ command: [sh('echo after-fill')], maxRunTime: 30 });
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // the worker and, through it, its tasks
    let r: Awaited<ReturnType<typeof runWorker>>;
    try {
      r = await runWorker(h, h.config({ numberOfTasksToRun: 2 }), 60_000);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(execFileSync('df', ['--output=avail', tmp]).toString()).toMatch(/\n\s*0\s*$/); // still full
    expect(await lastRun(h, filler)).toMatchObject({ state: 'completed' });
    expect(await lastRun(h, after)).toMatchObject({ state: 'completed' });
    expect(await taskLog(h, after)).toContain('after-fill');
  });
});
