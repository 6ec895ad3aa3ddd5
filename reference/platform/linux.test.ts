import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesOf } from '../sandbox/linux-procs.ts';
import { purgeLeftovers } from '../sandbox/leftovers.ts';
import { LinuxPlatform, TASK_USER_PATH } from './linux.ts';
import type { RunningProcess, TaskUser } from './platform.ts';
import { processAlive } from '../../test/helpers/process.ts';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const hasUseradd = existsSync('/usr/sbin/useradd') || existsSync('/sbin/useradd');

async function collect(proc: RunningProcess): Promise<{ out: string; err: string; code: number | null }> {
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    err += d;
  });
  const exit = await proc.exited;
  return { out, err, code: exit.exitCode };
}

// Names are unique per run so parallel test files and leftovers of a crashed run never collide.
const suffix = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

describe.skipIf(process.platform === 'win32')('LinuxPlatform as the current user (POSIX)', () => {
  it('runs a command in its own process group and kills the whole tree', async () => {
    const platform = new LinuxPlatform();
    const proc = platform.spawn({
      command: ['/bin/sh', '-c', 'sleep 30 & echo child=$!; wait'],
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
    });
    for (let i = 0; i < 500 && !out.includes('\n'); i++) await sleep(20);
    const child = Number(/child=(\d+)/.exec(out)?.[1]);
    expect(child).toBeGreaterThan(0);
    await proc.killTree();
    const exit = await proc.exited;
    expect(exit.signal).toBe('SIGKILL');
    for (let i = 0; i < 500 && processAlive(child); i++) await sleep(20);
    expect(processAlive(child)).toBe(false);
  });

  it('builds a task user env from HOME/USER/PATH and the task variables the worker passes', () => {
    const user = { name: 'task_x', home: '/home/task_x', groups: [] };
    expect(LinuxPlatform.taskUserEnv(user, { TASK_ID: 'abc' })).toEqual({
      HOME: '/home/task_x',
      USER: 'task_x',
      LOGNAME: 'task_x',
      PATH: TASK_USER_PATH,
      TASK_ID: 'abc',
    });
    expect(LinuxPlatform.taskUserEnv(user, { PATH: '/custom', LANG: 'C.UTF-8' })).toMatchObject({
      PATH: '/custom',
      LANG: 'C.UTF-8',
    });
  });

  it('reports a command that cannot start as startError', async () => {
    const proc = new LinuxPlatform().spawn({ command: ['/nonexistent/cmd'], cwd: tmpdir(), env: {} });
    const exit = await proc.exited;
    expect(exit.startError).toBeInstanceOf(Error);
  });
});

describe.skipIf(!isRoot || !hasUseradd)('LinuxPlatform OS-user sandbox (needs root and useradd)', () => {
  // Its own user prefix: a tc-worker started by another test file purges every task_* user.
  const prefix = `tct${suffix}_`;
  let platform: LinuxPlatform;
  const created: TaskUser[] = [];
  const group = `tcgrp_${suffix}`;

  // In a hook, not the describe body: vitest runs a skipped describe's body too (to collect its
  // tests), and groupadd fails as non-root and does not exist on macOS or Windows.
  beforeAll(() => {
    platform = new LinuxPlatform({ homesDir: mkdtempSync(path.join(tmpdir(), 'homes-')), userPrefix: prefix });
    chmodSync(platform.homesDir, 0o755); // like /home: task users must be able to traverse it
    execFileSync('groupadd', [group]);
  });

  afterAll(async () => {
    for (const u of created) await platform.deleteTaskUser(u).catch(() => {});
    execFileSync('groupdel', [group]);
    await rm(platform.homesDir, { recursive: true, force: true });
  });

  it('knows which groups exist', async () => {
    expect(await platform.groupExists(group)).toBe(true);
    expect(await platform.groupExists(`nogroup_${suffix}x`)).toBe(false);
    await expect(platform.createTaskUser(`${prefix}g`, [`nogroup_${suffix}x`])).rejects.toThrow(/does not exist/);
  });

  it('rejects a user name useradd would refuse, saying why', async () => {
    await expect(platform.createTaskUser(`${prefix}has space`, [])).rejects.toThrow(/invalid task user name/);
  });

  it('runs as the task user with a clean env and supplementary groups, then leaves nothing behind', async () => {
    const user = await platform.createTaskUser(`${prefix}u`, [group]);
    created.push(user);
    expect(user.uid).toBeGreaterThan(0);
    expect(statSync(user.home).uid).toBe(user.uid);
    const taskDir = path.join(platform.homesDir, `dir_${suffix}`);
    await mkdir(taskDir);
    writeFileSync(path.join(taskDir, 'given.txt'), 'x');
    await platform.chownRecursive(taskDir, user);
    expect(statSync(path.join(taskDir, 'given.txt')).uid).toBe(user.uid);
    expect(await platform.leftoverTaskUsers()).toContain(user.name);

    process.env.TC_WORKER_SECRET_PROBE = 'leak';
    const run = await collect(
      platform.spawn({
        command: ['/bin/sh', '-c', 'id -u; id -G; echo "$HOME|$USER|$TASK_ID|$TC_WORKER_SECRET_PROBE"; pwd'],
        cwd: taskDir,
        env: { TASK_ID: 'abc' },
        user,
      }),
    );
    delete process.env.TC_WORKER_SECRET_PROBE;
    expect(run.code).toBe(0);
    const [uid, gids, env, cwd] = run.out.trim().split('\n');
    expect(Number(uid)).toBe(user.uid);
    const groupGid = Number(execFileSync('getent', ['group', group]).toString().split(':')[2]);
    expect(gids!.split(' ').map(Number)).toContain(groupGid);
    expect(env).toBe(`${user.home}|${user.name}|abc|`);
    expect(cwd).toBe(taskDir);

    // Leave things behind: a double-forked SIGTERM-ignoring sleeper and files in /tmp and home.
    const escaper = await collect(
      platform.spawn({
        command: [
          '/bin/sh',
          '-c',
          `touch /tmp/left_${suffix} ~/left; (trap '' TERM; setsid sh -c "trap '' TERM; sleep 300" >/dev/null 2>&1 &) ; echo ok`,
        ],
        cwd: taskDir,
        env: {},
        user,
      }),
    );
    expect(escaper.out).toContain('ok');
    for (let i = 0; i < 500 && (await processesOf(user.uid!)).length === 0; i++) await sleep(20);
    expect((await processesOf(user.uid!)).length).toBeGreaterThan(0);
    expect(existsSync(`/tmp/left_${suffix}`)).toBe(true);

    const privateFile = path.join(platform.homesDir, `key_${suffix}`);
    writeFileSync(privateFile, 'secret');
    await platform.makePrivate(privateFile);
    expect(await platform.userCanRead(privateFile, user)).toBe(false);
    expect(await platform.userCanRead(path.join(taskDir, 'given.txt'), user)).toBe(true);
    expect(await platform.userCanRead(privateFile, undefined)).toBe(false);

    await platform.deleteTaskUser(user);
    created.pop();
    expect(await processesOf(user.uid!)).toEqual([]);
    expect(existsSync(`/tmp/left_${suffix}`)).toBe(false);
    expect(existsSync(user.home)).toBe(false);
    expect(await platform.leftoverTaskUsers()).not.toContain(user.name);
  });

  it("leaves task users of another live worker alone, but purges a dead worker's", async () => {
    let deadPid = 4_000_000;
    while (existsSync(`/proc/${deadPid}`)) deadPid--;
    execFileSync('useradd', ['--no-create-home', '--comment', `tc-worker ${process.ppid}`, `${prefix}live`]);
    execFileSync('useradd', ['--no-create-home', '--comment', `tc-worker ${deadPid}`, `${prefix}dead`]);
    created.push({ name: `${prefix}live`, home: '', groups: [] }, { name: `${prefix}dead`, home: '', groups: [] });
    const leftovers = await platform.leftoverTaskUsers();
    expect(leftovers).toContain(`${prefix}dead`);
    expect(leftovers).not.toContain(`${prefix}live`);
  });

  it("two workers purging the same dead worker's task user at once both succeed", async () => {
    let deadPid = 4_000_000;
    while (existsSync(`/proc/${deadPid}`)) deadPid--;
    for (let i = 0; i < 4; i++) {
      const name = `${prefix}race${i}`;
      execFileSync('useradd', ['--no-create-home', '--comment', `tc-worker ${deadPid}`, name]);
      created.push({ name, home: '', groups: [] });
    }
    // Each start-up lists the leftovers, then deletes them: both lists name every user.
    const results = await Promise.all([purgeLeftovers(platform), purgeLeftovers(platform)]);
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    expect(await platform.leftoverTaskUsers()).toEqual([]);
  });

  it('purges leftover task users and task directories at start-up', async () => {
    const user = await platform.createTaskUser(`${prefix}l`, []);
    created.push(user);
    const tasksDir = mkdtempSync(path.join(tmpdir(), 'tasks-'));
    await mkdir(path.join(tasksDir, `task_old${suffix}`));
    await mkdir(path.join(tasksDir, 'keepme'));
    const result = await purgeLeftovers(platform, { tasksDir, keep: [] });
    expect(result.users).toContain(user.name);
    expect(result.dirs).toEqual([`task_old${suffix}`]);
    expect(existsSync(path.join(tasksDir, 'keepme'))).toBe(true);
    expect(await platform.leftoverTaskUsers()).not.toContain(user.name);
    created.pop();
    await rm(tasksDir, { recursive: true, force: true });
  });
});
