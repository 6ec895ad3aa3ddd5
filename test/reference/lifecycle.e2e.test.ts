// tc-worker process lifecycle against the mock Queue: exit codes 68/69/71/72, cancellation, reclaiming
// with fresh temporary credentials (Hawk-verified by the mock), and retries of Queue 5xx answers.
import { writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchArtifact,
  type Harness,
  lastRun,
  listArtifacts,
  PROVISIONER,
  runWorker,
  startHarness,
  startWorker,
  taskLog,
} from './harness.ts';
import { processAlive, readPid, until } from '../helpers/process.ts';

const posix = process.platform !== 'win32';
const sh = (script: string) => ['/bin/sh', '-c', script];

async function running(h: Harness, taskId: string) {
  return until(`${taskId} running`, async () => ((await lastRun(h, taskId)).state === 'running' ? true : undefined));
}

const workerSecret = 'worker-secret-token-0123456789';

describe.skipIf(!posix)('tc-worker lifecycle (e2e)', () => {
  let h: Harness;
  beforeAll(async () => {
    // A worker client that may only claim: every task-scoped call must use the run's temporary credentials.
    h = await startHarness({
      claimTimeoutSeconds: 3,
      clients: [
        {
          clientId: 'e2e/worker',
          accessToken: workerSecret,
          scopes: [`queue:claim-work:${PROVISIONER}/*`, 'queue:worker-id:e2e/*'],
        },
      ],
    });
  });
  afterAll(async () => {
    await h?.close();
  });
  const cfg = (o: Record<string, unknown> = {}) =>
    h.config({ clientId: 'e2e/worker', accessToken: workerSecret, reclaimBeforeSecs: 180, ...o });

  it("exits 68 after idleTimeoutSecs without a claim, its log one JSON object per line in pino's format", async () => {
    const r = await runWorker(h, cfg({ idleTimeoutSecs: 1, numberOfTasksToRun: 0, workerId: 'e2e-log' }));
    expect(r.code).toBe(68);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    const records = lines.map((l) => JSON.parse(l));
    for (const rec of records) {
      expect(rec).toMatchObject({ pid: expect.any(Number), hostname: expect.any(String), name: 'tc-worker' });
      expect([30, 40, 50]).toContain(rec.level);
      expect(Math.abs(Date.now() - rec.time)).toBeLessThan(60_000);
    }
    expect(records.find((rec) => rec.msg === 'worker starting')).toMatchObject({ level: 30, workerId: 'e2e-log' });
    expect(records.find((rec) => rec.msg === 'idle timeout reached')).toMatchObject({ level: 40, idleTimeoutSecs: 1 });
    expect(r.stderr).not.toContain(workerSecret);
  });

  it('exits 69 on an internal error (tasksDir cannot be created)', async () => {
    const file = join(h.dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await runWorker(h, cfg({ tasksDir: join(file, 'tasks') }));
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('internal error');
  });

  it('reclaims before takenUntil with fresh temporary credentials; Hawk verified for both kinds', async () => {
    const taskId = await h.createTask({ command: [sh('sleep 2; echo done')], maxRunTime: 30 });
    const from = h.mock.trace.last();
    const r = await runWorker(h, cfg());
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect((await lastRun(h, taskId)).state).toBe('completed');
    const trace = h.mock.trace.since(from).filter((e) => e.service === 'queue' && e.clientId !== h.mock.admin.clientId);
    const claims = trace.filter((e) => e.route === 'claimWork');
    expect(claims.length).toBeGreaterThan(0);
    for (const e of claims) expect([e.clientId, e.status]).toEqual(['e2e/worker', 200]);
    const taskCalls = trace.filter((e) => e.taskId === taskId);
    expect(taskCalls.every((e) => e.status < 400 && e.clientId?.startsWith(`task-client/${taskId}/0/`))).toBe(true);
    const reclaims = taskCalls.filter((e) => e.route === 'reclaimTask');
    expect(reclaims.length).toBeGreaterThan(0);
    // Every call after a reclaim is signed with the credentials that reclaim returned.
    const last = reclaims.at(-1)!;
    const newUntil = Date.parse((last.response.body as { takenUntil: string }).takenUntil) / 1000;
    const after = taskCalls.filter((e) => e.seq > last.seq);
    expect(after.map((e) => e.route)).toContain('reportCompleted');
    for (const e of after) expect(e.clientId).toContain(`/until/${newUntil}`);
    expect(r.stderr + r.stdout).not.toContain(workerSecret);
  });

  it('a cancelled task is killed and not reported; the worker keeps serving', async () => {
    const pidFile = join(h.dir, 'cancel.pid');
    const a = await h.createTask({ command: [sh(`echo $$ > '${pidFile}'; exec sleep 60`)], maxRunTime: 60 });
    const b = await h.createTask({ command: [sh('echo after-cancel')], maxRunTime: 30 });
    const from = h.mock.trace.last();
    const w = startWorker(h, cfg({ numberOfTasksToRun: 2 }));
    await running(h, a);
    const pid = await until('pid file', () => readPid(pidFile));
    await h.queue.cancelTask(a);
    const { code } = await w.exit;
    expect(code, w.stderr().slice(-2000)).toBe(0);
    const runA = await lastRun(h, a);
    expect([runA.state, runA.reasonResolved]).toEqual(['exception', 'canceled']);
    expect(processAlive(pid)).toBe(false);
    const reports = h.mock.trace
      .since(from)
      .filter((e) => e.taskId === a && /^report/.test(e.route) && e.clientId !== h.mock.admin.clientId);
    expect(reports).toEqual([]);
    expect((await lastRun(h, b)).state).toBe('completed');
  });

  it('SIGINT: stops claiming, finishes the running task, exits 71', async () => {
    const release = join(h.dir, 'release-sigint');
    const taskId = await h.createTask({
      command: [sh(`while [ ! -f '${release}' ]; do sleep 0.05; done; echo finished`)],
      maxRunTime: 60,
    });
    const w = startWorker(h, cfg({ numberOfTasksToRun: 0, idleTimeoutSecs: 0 }));
    await running(h, taskId);
    w.child.kill('SIGINT');
    writeFileSync(release, '');
    const { code } = await w.exit;
    expect(code, w.stderr().slice(-2000)).toBe(71);
    const run = await lastRun(h, taskId);
    expect([run.state, run.reasonResolved]).toEqual(['completed', 'completed']);
    expect(await taskLog(h, taskId)).toContain('finished');
  });

  it('SIGTERM: aborts the running task with exception/worker-shutdown, exits 72', async () => {
    const taskId = await h.createTask({ command: [sh('echo running; exec sleep 60')], maxRunTime: 60 });
    const w = startWorker(h, cfg({ numberOfTasksToRun: 0, idleTimeoutSecs: 0 }));
    await running(h, taskId);
    w.child.kill('SIGTERM');
    const { code } = await w.exit;
    expect(code, w.stderr().slice(-2000)).toBe(72);
    const run = await lastRun(h, taskId);
    expect([run.state, run.reasonResolved]).toEqual(['exception', 'worker-shutdown']);
    expect(await taskLog(h, taskId)).toContain('graceful termination requested');
  });

  it('serves the live log while the task runs and links it to the backing log afterwards', async () => {
    const release = join(h.dir, 'release-livelog');
    const taskId = await h.createTask({
      command: [sh(`echo live-line-1; while [ ! -f '${release}' ]; do sleep 0.05; done; echo live-line-2`)],
      maxRunTime: 60,
    });
    const w = startWorker(h, cfg());
    const ref = await until('live.log reference', async () => {
      try {
        const a = await h.queue.artifact(taskId, '0', 'public/logs/live.log');
        return a.storageType === 'reference' ? (a.url as string) : undefined;
      } catch {
        return undefined;
      }
    });
    const res = await request(ref);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    let seen = '';
    const gotFirst = new Promise<void>((resolve) =>
      res.body.on('data', (b: Buffer) => {
        seen += b;
        if (seen.includes('live-line-1')) resolve();
      }),
    );
    const ended = new Promise<void>((resolve) => res.body.on('end', () => resolve()));
    await gotFirst;
    writeFileSync(release, '');
    await ended;
    expect(seen).toContain('live-line-2');
    expect((await w.exit).code).toBe(0);
    const list = (await h.queue.listArtifacts(taskId, '0')).artifacts as Array<{ name: string; storageType: string }>;
    expect(list.find((a) => a.name === 'public/logs/live.log')?.storageType).toBe('link');
  });

  it('listens on the live log port only while a task runs; a port it cannot take leaves the task without a live log', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const refused = () =>
      new Promise<boolean>((resolve) => {
        const c = connect(free, '127.0.0.1');
        c.on('connect', () => {
          c.destroy();
          resolve(false);
        });
        c.on('error', () => resolve(true));
      });
    const release = join(h.dir, 'release-port');
    const w = startWorker(h, cfg({ livelogGETPort: free, numberOfTasksToRun: 2 }), 60_000);
    await until('a claimWork', () =>
      h.mock.trace.entries().some((e) => e.route === 'claimWork' && e.path.includes(h.workerType)),
    );
    expect(await refused()).toBe(true);
    const first = await h.createTask({
      command: [sh(`echo first; while [ ! -f '${release}' ]; do sleep 0.05; done`)],
      maxRunTime: 60,
    });
    const ref = await until('live.log reference', async () => {
      try {
        const a = await h.queue.artifact(first, '0', 'public/logs/live.log');
        return a.storageType === 'reference' ? (a.url as string) : undefined;
      } catch {
        return undefined;
      }
    });
    expect(Number(new URL(ref).port)).toBe(free);
    expect(await refused()).toBe(false);
    writeFileSync(release, '');
    await until('first task completed', async () =>
      (await lastRun(h, first)).state === 'completed' ? true : undefined,
    );
    expect(await refused()).toBe(true);
    // Taken by someone else: the second task still runs, with a warning instead of a live log.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(free, '127.0.0.1', () => resolve()));
    try {
      const second = await h.createTask({ command: [sh('echo second')], maxRunTime: 30 });
      expect((await w.exit).code, w.stderr().slice(-2000)).toBe(0);
      expect((await lastRun(h, second)).state).toBe('completed');
      expect(await taskLog(h, second)).toMatch(/Could not serve the live log on 127\.0\.0\.1:\d+ \(.*EADDRINUSE/);
      expect((await listArtifacts(h, second)).map((a) => a.name)).toEqual(['public/logs/live_backing.log']);
    } finally {
      squatter.close();
    }
  });

  it('createObjectArtifacts: data artifacts (and the log) go through the object service', async () => {
    const taskId = await h.createTask({
      command: [sh('echo object-data > o.txt; echo logged')],
      maxRunTime: 30,
      artifacts: [{ type: 'file', path: 'o.txt', name: 'public/o.txt' }],
    });
    const r = await runWorker(h, cfg({ createObjectArtifacts: true }));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect((await lastRun(h, taskId)).state).toBe('completed');
    const types = Object.fromEntries((await listArtifacts(h, taskId)).map((a) => [a.name, a.storageType]));
    expect(types).toEqual({
      'public/o.txt': 'object',
      'public/logs/live_backing.log': 'object',
      'public/logs/live.log': 'link',
    });
    const o = await fetchArtifact(h, taskId, 0, 'public/o.txt');
    expect([o.contentType, o.body!.toString()]).toEqual(['text/plain; charset=utf-8', 'object-data\n']);
    expect((await fetchArtifact(h, taskId, 0, 'public/logs/live_backing.log')).body!.toString()).toContain('logged');
  });

  it('a feature the config disables is malformed-payload when requested, and fine when not', async () => {
    const wants = await h.createTask({ command: [sh('echo x')], maxRunTime: 30 });
    const without = await h.createTask({ command: [sh('echo y')], maxRunTime: 30, features: { liveLog: false } });
    const r = await runWorker(h, cfg({ enableLiveLog: false, numberOfTasksToRun: 2 }));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const run = await lastRun(h, wants);
    expect([run.state, run.reasonResolved]).toEqual(['exception', 'malformed-payload']);
    expect(await taskLog(h, wants)).toContain(`feature "liveLog", but it's not enabled on this worker`);
    expect((await lastRun(h, without)).state).toBe('completed');
  });

  it('retries Queue 5xx answers and failed uploads', async () => {
    const taskId = await h.createTask({ command: [sh('echo retried')], maxRunTime: 30 });
    h.mock.faults.add({ route: 'reportCompleted', status: 500, times: 2 });
    h.mock.faults.add({ route: 'createArtifact', status: 503, times: 1 });
    h.mock.faults.add({ route: 'storePut', status: 500, times: 1 });
    h.mock.faults.add({ route: 'claimWork', status: 502, times: 1 });
    const r = await runWorker(h, cfg());
    const applied = h.mock.faults.list().map((f) => `${f.route}:${f.applied}`);
    h.mock.faults.clear();
    expect(applied).toEqual(['reportCompleted:2', 'createArtifact:1', 'storePut:1', 'claimWork:1']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect((await lastRun(h, taskId)).state).toBe('completed');
    expect(await taskLog(h, taskId)).toContain('retried');
  });
});
