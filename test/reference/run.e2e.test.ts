// tc-worker against the mock Queue over loopback: one worker process serves a batch of tasks, and each
// case checks the Queue's view (resolution, artifacts, log). Serving the whole batch also proves the
// worker keeps going after malformed, failed and aborted tasks.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchArtifact, type Harness, lastRun, listArtifacts, runWorker, startHarness, taskLog } from './harness.ts';
import { processAlive } from '../helpers/process.ts';

const posix = process.platform !== 'win32';
const sh = (script: string) => ['/bin/sh', '-c', script];

let h: Harness;
let result: { code: number | null; stdout: string; stderr: string };
const ids: Record<string, string> = {};

beforeAll(async () => {
  if (!posix) return;
  h = await startHarness();
  const pidFile = join(h.dir, 'orphan.pid');
  const tasks: Record<string, unknown> = {
    success: {
      command: [
        sh('echo hello "$TASK_ID" "$RUN_ID" "$FOO" "$TASK_GROUP_ID" "$TASKCLUSTER_ROOT_URL"; test -d "$TASK_WORKDIR"'),
        sh('echo second'),
      ],
      env: { FOO: 'bar' },
      maxRunTime: 30,
    },
    failing: { command: [sh('echo first; exit 3'), sh('echo never-printed')], maxRunTime: 30 },
    retry: { command: [sh('exit 7')], maxRunTime: 30, onExitStatus: { retry: [7] } },
    missingCommand: { command: [['/no/such/command-xyz']], maxRunTime: 30 },
    notExecutable: { command: [sh('printf "#!/bin/sh\\necho hi\\n" > s.sh'), ['./s.sh']], maxRunTime: 30 },
    malformed: { command: [sh('echo x')], maxRunTime: 30, surprise: true, env: { N: 1 } },
    maxRunTime: {
      // A background grandchild that outlives its parent unless the whole tree is killed.
      command: [sh(`sleep 60 & echo $! > '${pidFile}'; sleep 30`)],
      maxRunTime: 1,
    },
    artifacts: {
      command: [
        sh(
          'mkdir -p out/sub && echo "{\\"a\\": 1}" > out/data.json && echo text > out/sub/notes.txt && ' +
            'printf "\\037\\213" > out/blob.gz && echo secret > ../outside.txt && ln -s ../outside.txt escape.txt',
        ),
      ],
      maxRunTime: 30,
      artifacts: [
        { type: 'file', path: 'out/data.json', name: 'public/data.json' },
        { type: 'file', path: 'out/blob.gz', name: 'public/blob.gz' },
        { type: 'file', path: 'out/data.json', name: 'public/forced.bin', contentType: 'application/x-custom' },
        { type: 'directory', path: 'out/sub', name: 'public/dir' },
        { type: 'file', path: 'out/missing.txt', name: 'public/missing.txt' },
        { type: 'file', path: '../outside.txt', name: 'public/dotdot.txt' },
        { type: 'file', path: join(h.dir, 'tasks', 'outside.txt'), name: 'public/abs-outside.txt' },
        { type: 'file', path: 'escape.txt', name: 'public/symlink.txt' },
        { type: 'file', path: 'out/sub/notes.txt', name: 'public/plain.txt', contentEncoding: 'identity' },
      ],
    },
    optionalMissing: {
      command: [sh('echo ok')],
      maxRunTime: 30,
      artifacts: [{ type: 'file', path: 'nope.txt', name: 'public/nope.txt', optional: true }],
    },
    customLogs: {
      command: [sh('echo "renamed log; type=$TASKCLUSTER_INSTANCE_TYPE where=$TASKCLUSTER_WORKER_LOCATION"')],
      maxRunTime: 30,
      logs: { live: 'public/kit/live.log', backing: 'public/kit/backing.log' },
    },
    noBackingLog: { command: [sh('echo quiet')], maxRunTime: 30, features: { backingLog: false, liveLog: false } },
    badExpiry: {
      command: [sh('echo x')],
      maxRunTime: 30,
      artifacts: [{ type: 'file', path: 'x', expires: new Date(Date.now() + 60_000).toISOString() }],
    },
  };
  for (const [k, payload] of Object.entries(tasks)) ids[k] = await h.createTask(payload);
  result = await runWorker(
    h,
    h.config({ numberOfTasksToRun: Object.keys(tasks).length, instanceType: 'p3.enormous', workerLocation: 'lab-7' }),
    60_000,
  );
}, 90_000);

afterAll(async () => {
  await h?.close();
});

describe.skipIf(!posix)('tc-worker run: task outcomes (e2e)', () => {
  it('serves every task and exits 0 once numberOfTasksToRun is reached, without logging secrets', () => {
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr + result.stdout).not.toContain(h.mock.admin.accessToken);
  });

  it('a successful task: completed, env set, generic-worker log format, gzip backing log, live log linked', async () => {
    const taskId = ids.success!;
    const run = await lastRun(h, taskId);
    expect([run.state, run.reasonResolved]).toEqual(['completed', 'completed']);
    const log = await taskLog(h, taskId);
    expect(log).toContain(`hello ${taskId} 0 bar ${taskId} ${h.mock.rootUrl}`);
    expect(log).toMatch(/^\[taskcluster 20\d\d-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d\.\d{3}Z\] Worker Type \(/m);
    expect(log).toContain(`Task ID: ${taskId}`);
    expect(log).toMatch(/Executing command 0: \/bin\/sh -c /);
    expect(log).toMatch(/Executing command 1: \/bin\/sh -c 'echo second'/);
    expect(log).toContain('Exit Code: 0');
    expect(log).toContain('=== Task Finished ===');
    const backing = await fetchArtifact(h, taskId, 0, 'public/logs/live_backing.log');
    expect(backing.contentEncoding).toBe('gzip');
    expect(backing.contentType).toBe('text/plain; charset=utf-8');
    const names = (await listArtifacts(h, taskId)).map((a) => `${a.name}:${a.storageType}`);
    expect(names).toEqual(expect.arrayContaining(['public/logs/live_backing.log:s3', 'public/logs/live.log:link']));
  });

  it('the first failing command stops the task: failed/failed', async () => {
    const run = await lastRun(h, ids.failing!);
    expect([run.state, run.reasonResolved]).toEqual(['failed', 'failed']);
    const log = await taskLog(h, ids.failing!);
    expect(log).toContain('first');
    expect(log).toContain('Exit Code: 3');
    expect(log).not.toContain('never-printed');
  });

  it('an exit code listed in onExitStatus.retry: exception/intermittent-task', async () => {
    const run = await lastRun(h, ids.retry!);
    expect([run.state, run.reasonResolved]).toEqual(['exception', 'intermittent-task']);
  });

  it('a command that does not exist: failed/failed', async () => {
    const run = await lastRun(h, ids.missingCommand!);
    expect([run.state, run.reasonResolved]).toEqual(['failed', 'failed']);
    expect(await taskLog(h, ids.missingCommand!)).toContain('/no/such/command-xyz');
  });

  it('a command that is not executable: failed/failed', async () => {
    const run = await lastRun(h, ids.notExecutable!);
    expect([run.state, run.reasonResolved]).toEqual(['failed', 'failed']);
    expect(await taskLog(h, ids.notExecutable!)).toMatch(/EACCES|permission denied/i);
  });

  it('claims every task and removes task directories afterwards (cleanUpTaskDirs)', () => {
    const logLines = result.stderr.split('\n').filter((l) => l.includes('"task claimed"'));
    expect(logLines.length).toBe(Object.keys(ids).length);
    expect(readdirSync(join(h.dir, 'tasks')).filter((n) => n.startsWith('task_'))).toEqual([]);
  });

  it('an invalid payload: exception/malformed-payload with the validation errors in the log', async () => {
    const run = await lastRun(h, ids.malformed!);
    expect([run.state, run.reasonResolved]).toEqual(['exception', 'malformed-payload']);
    const log = await taskLog(h, ids.malformed!);
    expect(log).toContain('[taskcluster:error] TASK FAIL since the task payload is invalid. See errors:');
    expect(log).toContain('payload/surprise');
    expect(log).toContain('payload/env/N');
    expect(log).toContain('Task payload for this worker type must conform to the following jsonschema:');
  });

  it('maxRunTime exceeded: the process tree is killed, failed/failed, log says max run time exceeded', async () => {
    const run = await lastRun(h, ids.maxRunTime!);
    expect([run.state, run.reasonResolved]).toEqual(['failed', 'failed']);
    expect(await taskLog(h, ids.maxRunTime!)).toContain('max run time exceeded');
    const pid = Number(readFileSync(join(h.dir, 'orphan.pid'), 'utf8'));
    for (let i = 0; i < 300 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 30));
    expect(processAlive(pid)).toBe(false);
  });

  it('artifacts: content types, gzip except compressed, directories, error artifacts; missing → failed', async () => {
    const taskId = ids.artifacts!;
    const run = await lastRun(h, taskId);
    expect([run.state, run.reasonResolved]).toEqual(['failed', 'failed']);
    const data = await fetchArtifact(h, taskId, 0, 'public/data.json');
    expect(data.contentType).toBe('application/json');
    expect(data.contentEncoding).toBe('gzip');
    expect(JSON.parse(data.body!.toString())).toEqual({ a: 1 });
    const blob = await fetchArtifact(h, taskId, 0, 'public/blob.gz');
    expect(blob.contentEncoding).toBe('identity');
    expect(blob.contentType).toBe('application/gzip');
    expect((await fetchArtifact(h, taskId, 0, 'public/forced.bin')).contentType).toBe('application/x-custom');
    const notes = await fetchArtifact(h, taskId, 0, 'public/dir/notes.txt');
    expect(notes.body!.toString()).toBe('text\n');
    const missing = await fetchArtifact(h, taskId, 0, 'public/missing.txt');
    expect([missing.storageType, missing.reason]).toEqual(['error', 'file-missing-on-worker']);
    for (const name of ['public/dotdot.txt', 'public/abs-outside.txt', 'public/symlink.txt']) {
      const a = await fetchArtifact(h, taskId, 0, name);
      expect([a.storageType, a.reason], name).toEqual(['error', 'invalid-resource-on-worker']);
    }
    expect(readFileSync(join(h.dir, 'tasks', 'outside.txt'), 'utf8')).toBe('secret\n');
    const plain = await fetchArtifact(h, taskId, 0, 'public/plain.txt');
    expect([plain.contentEncoding, plain.contentType, plain.body!.toString()]).toEqual([
      'identity',
      'text/plain; charset=utf-8',
      'text\n',
    ]);
  });

  it('a missing optional artifact: error artifact, task still completed', async () => {
    const run = await lastRun(h, ids.optionalMissing!);
    expect([run.state, run.reasonResolved]).toEqual(['completed', 'completed']);
    const a = await fetchArtifact(h, ids.optionalMissing!, 0, 'public/nope.txt');
    expect([a.storageType, a.reason]).toEqual(['error', 'file-missing-on-worker']);
  });

  it('payload.logs renames the log artifacts; instanceType and workerLocation reach the task env', async () => {
    const taskId = ids.customLogs!;
    expect((await lastRun(h, taskId)).state).toBe('completed');
    const names = (await listArtifacts(h, taskId)).map((a) => `${a.name}:${a.storageType}`).sort();
    expect(names).toEqual(['public/kit/backing.log:s3', 'public/kit/live.log:link']);
    const log = await fetchArtifact(h, taskId, 0, 'public/kit/backing.log');
    expect(log.body!.toString()).toContain('renamed log; type=p3.enormous where=lab-7');
  });

  it('features.backingLog/liveLog false: no log artifacts at all', async () => {
    expect((await lastRun(h, ids.noBackingLog!)).state).toBe('completed');
    expect(await listArtifacts(h, ids.noBackingLog!)).toEqual([]);
  });

  it('an artifact expiring before the deadline: exception/malformed-payload', async () => {
    const run = await lastRun(h, ids.badExpiry!);
    expect([run.state, run.reasonResolved]).toEqual(['exception', 'malformed-payload']);
    expect(await taskLog(h, ids.badExpiry!)).toContain('expires before task deadline');
  });
});
