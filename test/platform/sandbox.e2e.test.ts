// The OS-user sandbox end to end: a real `tc-worker run` (runTasksAsCurrentUser: false, as root)
// against the mock Queue runs tasks that try to leave things behind, and afterwards the task user,
// its processes, its home, its task directory and its files in /tmp are gone.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesOf } from '../../reference/sandbox/linux-procs.ts';
import { type Harness, lastRun, listArtifacts, runWorker, startHarness, taskLog } from '../reference/harness.ts';
import { noSandboxReason } from '../helpers/sandbox.ts';

const sh = (script: string) => ['/bin/sh', '-c', script];
const bin = fileURLToPath(new URL('../../bin/tc-worker.js', import.meta.url));

describe.skipIf(noSandboxReason !== undefined)('OS-user sandbox through tc-worker (needs root, useradd)', () => {
  let h: Harness;
  let result: { code: number | null; stdout: string; stderr: string };
  const ids: Record<string, string> = {};
  const marker = `tc-sandbox-${process.pid}-${Date.now()}`;
  let homes: string;
  let keyFile: string;

  beforeAll(async () => {
    h = await startHarness();
    chmodSync(h.dir, 0o755); // like /home: task users must be able to reach their task directory
    homes = join(h.dir, 'homes');
    keyFile = join(h.dir, 'ed25519.key');
    mkdirSync(homes);
    ids.leaver = await h.createTask({
      command: [
        sh(
          `echo "who=$(id -un) uid=$(id -u) home=$HOME probe=[\${TC_SANDBOX_WORKER_PROBE-unset}]"; touch ~/in-home "$TASK_WORKDIR/in-taskdir" /tmp/${marker}; ` +
            // A double-forked, SIGTERM-ignoring sleeper that leaves the task's process group.
            `(trap '' TERM; setsid sh -c "trap '' TERM; exec sleep 300" </dev/null >/dev/null 2>&1 &); echo started`,
        ),
        sh('test -e ~/in-home && echo second-command-sees-home'),
        sh('(echo "TAMPERED$((2+2))" >> generic-worker/live_backing.log) 2>/dev/null || echo "LOG-PROTECTED$((2+2))"'),
      ],
      maxRunTime: 30,
    });
    ids.badGroup = await h.createTask({ command: [sh('echo never')], maxRunTime: 30, osGroups: ['no_such_group_tcw'] });
    ids.cot = await h.createTask({
      command: [sh('cat "$KEY" 2>&1 || echo key-unreadable-by-task-user')],
      env: { KEY: keyFile },
      maxRunTime: 30,
      features: { chainOfTrust: true },
    });
    const keygen = spawnSync(process.execPath, [bin, 'new-ed25519-keypair', '--file', keyFile], { encoding: 'utf8' });
    expect(keygen.status, keygen.stderr).toBe(0);
    chmodSync(keyFile, 0o644); // the worker must make it private itself before the task runs
    // A variable of the worker's own environment, which must not reach the task user.
    process.env.TC_SANDBOX_WORKER_PROBE = 'worker-only';
    result = await runWorker(
      h,
      h.config({ runTasksAsCurrentUser: false, numberOfTasksToRun: 3, ed25519SigningKeyLocation: keyFile }),
      50_000,
    );
    delete process.env.TC_SANDBOX_WORKER_PROBE;
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('serves all tasks and exits 0', () => {
    expect(result.code, result.stderr).toBe(0);
  });

  it('runs the commands as a fresh task_* user with its own home and says so in the log', async () => {
    expect(await lastRun(h, ids.leaver!)).toMatchObject({ state: 'completed' });
    const log = await taskLog(h, ids.leaver!);
    const m = /who=(task_\S+) uid=(\d+) home=(\S+)/.exec(log);
    expect(m, log).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0);
    expect(log).toContain(`Running task as OS user ${m![1]} (uid ${m![2]})`);
    expect(log).toContain('second-command-sees-home');
    expect(log).toContain('probe=[unset]');
    expect(log).toContain(`Deleted OS user ${m![1]}`);
  });

  it('leaves nothing behind: no user, no processes, no home, no task directory, no /tmp files', async () => {
    const log = await taskLog(h, ids.leaver!);
    const [, name, uid, home] = /who=(task_\S+) uid=(\d+) home=(\S+)/.exec(log)!;
    expect(spawnSync('getent', ['passwd', name!]).status).not.toBe(0);
    expect(await processesOf(Number(uid))).toEqual([]);
    expect(existsSync(home!)).toBe(false);
    expect(existsSync(`/tmp/${marker}`)).toBe(false);
    const tasksDir = join(h.dir, 'tasks');
    expect(existsSync(tasksDir) ? readdirSync(tasksDir) : []).toEqual([]);
    const leftovers = execFileSync('getent', ['passwd'])
      .toString()
      .split('\n')
      .filter((l) => l.startsWith(`${name}:`));
    expect(leftovers).toEqual([]);
  });

  it('resolves a task with an unknown osGroup as malformed-payload, naming the group', async () => {
    expect(await lastRun(h, ids.badGroup!)).toMatchObject({ state: 'exception', reasonResolved: 'malformed-payload' });
    expect(await taskLog(h, ids.badGroup!)).toContain('"no_such_group_tcw" does not exist');
  });

  it('signs the chain of trust with a key the task user could not read', async () => {
    expect(await lastRun(h, ids.cot!)).toMatchObject({ state: 'completed' });
    expect(await taskLog(h, ids.cot!)).toContain('key-unreadable-by-task-user');
    const names = (await listArtifacts(h, ids.cot!)).map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['public/chain-of-trust.json', 'public/chain-of-trust.json.sig']));
  });

  it("keeps the worker's generic-worker/ folder (backing log) out of the task user's reach", async () => {
    const log = await taskLog(h, ids.leaver!);
    expect(log).toContain('LOG-PROTECTED4');
    expect(log).not.toContain('TAMPERED4');
    expect(result.stderr).not.toMatch(/could not delete task user|survived .* kill rounds/);
  });
});
