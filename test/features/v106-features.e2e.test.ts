// Current generic-worker's resource monitor, metadata file, runTaskAsCurrentUser and the features
// tc-worker refuses (interactive, loopback devices), end to end: the real tc-worker process against the
// mock Queue. Memory pressure is made by thresholds every machine meets (more than 0% used, less than
// 1 PB available), so the abort path runs without exhausting anything.
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, lastRun, runWorker, startHarness, taskLog } from '../reference/harness.ts';
import { noSandboxReason } from '../helpers/sandbox.ts';

const posix = process.platform !== 'win32';
const sh = (script: string) => ['/bin/sh', '-c', script];
/** Every machine is past these: any use is above 0%, and less than 1 PB is available. */
const pressure = { maxMemoryUsagePercent: 0, minAvailableMemoryBytes: 1e15, allowedHighMemoryDurationSecs: 1 };

describe.skipIf(!posix)('resource monitor, metadata and refused features (tc-worker e2e)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('aborts a task failed/failed when memory stays past both thresholds, and reports usage', async () => {
    const id = await h.createTask({ command: [sh('echo begun; sleep 20; echo late-$((3+4))')], maxRunTime: 60 });
    const r = await runWorker(h, h.config(pressure));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(await lastRun(h, id)).toMatchObject({ state: 'failed', reasonResolved: 'failed' });
    const log = await taskLog(h, id);
    expect(log).toMatch(
      /^\[taskcluster:warn [^\]]+\] Memory usage above 0% and available memory less than .* persisted for over 1s!$/m,
    );
    expect(log).toContain('task aborted due to sustained memory usage above 0% and available memory less than');
    expect(log).toMatch(/Command ABORTED after/);
    expect(log).toMatch(/Peak System Memory Used: \d+\.\d\d (MiB|GiB)/);
    expect(log).toMatch(/Total System Memory: \d+\.\d\d (MiB|GiB)/);
    expect(log).not.toContain('late-7');
  });

  it('leaves a task alone with features.resourceMonitor false, and warns only with disableOOMProtection', async () => {
    const off = await h.createTask({
      command: [sh('sleep 2; echo done-$((1+1))')],
      maxRunTime: 60,
      features: { resourceMonitor: false },
    });
    const r1 = await runWorker(h, h.config(pressure));
    expect(r1.code, r1.stderr.slice(-2000)).toBe(0);
    expect(await lastRun(h, off)).toMatchObject({ state: 'completed' });
    const offLog = await taskLog(h, off);
    expect(offLog).toContain('done-2');
    expect(offLog).not.toMatch(/Memory usage above|System Memory/);

    const warned = await h.createTask({ command: [sh('sleep 2.5; echo done-$((1+2))')], maxRunTime: 60 });
    const r2 = await runWorker(h, h.config({ ...pressure, disableOOMProtection: true }));
    expect(r2.code, r2.stderr.slice(-2000)).toBe(0);
    expect(await lastRun(h, warned)).toMatchObject({ state: 'completed' });
    const log = await taskLog(h, warned);
    expect(log).toContain('done-3');
    expect(log.match(/Memory usage above 0%/g)).toHaveLength(1);
    expect(log).toContain('OOM protections are disabled, continuing task...');
  });

  it('with enableResourceMonitor false refuses tasks that keep the default, runs those that opt out', async () => {
    const keeps = await h.createTask({ command: [sh('echo never')], maxRunTime: 30 });
    const optsOut = await h.createTask({
      command: [sh('echo ran-$((2+2))')],
      maxRunTime: 30,
      features: { resourceMonitor: false },
    });
    const r = await runWorker(h, h.config({ enableResourceMonitor: false, numberOfTasksToRun: 2 }));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(await lastRun(h, keeps)).toMatchObject({ state: 'exception', reasonResolved: 'malformed-payload' });
    expect(await taskLog(h, keeps)).toContain('"resourceMonitor"');
    expect(await lastRun(h, optsOut)).toMatchObject({ state: 'completed' });
  });

  it('writes generic-worker-metadata.json in its current directory after each task (enableMetadata)', async () => {
    const file = join(h.dir, 'generic-worker-metadata.json');
    rmSync(file, { force: true });
    const first = await h.createTask({ command: [sh('exit 3')], maxRunTime: 30 });
    const second = await h.createTask({ command: [sh('echo ok')], maxRunTime: 30 });
    const r = await runWorker(h, h.config({ numberOfTasksToRun: 2 }));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const ran = [first, second];
    const info = JSON.parse(readFileSync(file, 'utf8'));
    // The last task the worker ran, whichever of the two it claimed last.
    expect(Object.keys(info)).toEqual(['lastTaskUrl']);
    expect(ran.map((id) => `${h.mock.rootUrl}/tasks/${id}/runs/0`)).toContain(info.lastTaskUrl);

    rmSync(file);
    const third = await h.createTask({ command: [sh('echo ok')], maxRunTime: 30 });
    const off = await runWorker(h, h.config({ enableMetadata: false }));
    expect(off.code, off.stderr.slice(-2000)).toBe(0);
    expect(await lastRun(h, third)).toMatchObject({ state: 'completed' });
    expect(existsSync(file)).toBe(false);
  });

  it('refuses interactive and loopback devices (not implemented) and runTaskAsCurrentUser without a sandbox', async () => {
    const ids = {
      interactive: await h.createTask({ command: [sh('echo never')], maxRunTime: 30, features: { interactive: true } }),
      audio: await h.createTask({ command: [sh('echo never')], maxRunTime: 30, features: { loopbackAudio: true } }),
      asMe: await h.createTask(
        { command: [sh('echo never')], maxRunTime: 30, features: { runTaskAsCurrentUser: true } },
        { scopes: [`generic-worker:run-task-as-current-user:${'tc-worker-e2e'}/${h.workerType}`] },
      ),
    };
    const r = await runWorker(h, h.config({ numberOfTasksToRun: 3 }));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    for (const id of Object.values(ids))
      expect(await lastRun(h, id)).toMatchObject({ state: 'exception', reasonResolved: 'malformed-payload' });
    expect(await taskLog(h, ids.interactive)).toMatch(/"interactive".*does not implement/);
    expect(await taskLog(h, ids.audio)).toMatch(/"loopbackAudio".*snd-aloop/);
    expect(await taskLog(h, ids.asMe)).toMatch(/"runTaskAsCurrentUser".*runTasksAsCurrentUser is true/);
  });
});

describe.skipIf(noSandboxReason !== undefined)('runTaskAsCurrentUser with the OS-user sandbox (needs root)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    chmodSync(h.dir, 0o755); // task users must reach their task directory
  });
  afterAll(async () => {
    await h?.close();
  });

  it('runs the commands as the worker user with the scope, names the task user, refuses without it', async () => {
    const scope = `generic-worker:run-task-as-current-user:tc-worker-e2e/${h.workerType}`;
    const script =
      'echo "who=$(id -un)"; echo "creds=$TASK_USER_CREDENTIALS"; ' +
      'test "$TASK_USER_CREDENTIALS" = "$TASK_WORKDIR/task-user-credentials.json" && echo path-ok; ' +
      'cat "$TASK_USER_CREDENTIALS"; stat -c "mode=%a owner=%U" "$TASK_USER_CREDENTIALS"';
    const asWorker = await h.createTask(
      { command: [sh(script)], maxRunTime: 30, features: { runTaskAsCurrentUser: true } },
      { scopes: [scope] },
    );
    const noScope = await h.createTask({
      command: [sh('echo never')],
      maxRunTime: 30,
      features: { runTaskAsCurrentUser: true },
    });
    const plain = await h.createTask({ command: [sh('echo "who=$(id -un)"')], maxRunTime: 30 });
    const disabled = await h.createTask(
      { command: [sh('echo never')], maxRunTime: 30, features: { runTaskAsCurrentUser: true } },
      { scopes: [scope] },
    );
    const r = await runWorker(h, h.config({ runTasksAsCurrentUser: false, numberOfTasksToRun: 3 }), 60_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);

    expect(await lastRun(h, asWorker)).toMatchObject({ state: 'completed' });
    const log = await taskLog(h, asWorker);
    expect(log).toContain('who=root');
    expect(log).toContain('path-ok');
    expect(log).toMatch(/"name": "task_[A-Za-z0-9_-]+"/);
    expect(log).toContain('mode=600 owner=root');

    expect(await lastRun(h, noScope)).toMatchObject({ state: 'exception', reasonResolved: 'malformed-payload' });
    expect(await taskLog(h, noScope)).toContain(scope);
    expect(await lastRun(h, plain)).toMatchObject({ state: 'completed' });
    expect(await taskLog(h, plain)).toMatch(/who=task_/);

    const r2 = await runWorker(
      h,
      h.config({ runTasksAsCurrentUser: false, enableRunTaskAsCurrentUser: false }),
      60_000,
    );
    expect(r2.code, r2.stderr.slice(-3000)).toBe(0);
    expect(await lastRun(h, disabled)).toMatchObject({ state: 'exception', reasonResolved: 'malformed-payload' });
    expect(await taskLog(h, disabled)).toContain('enableRunTaskAsCurrentUser is false');
  });
});
