import { rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../types.ts';
import * as c from './cleanup.check.ts';

/** Real logs start with a header and echo the command (marker text included) before its output. */
const HEADER =
  "Task ID: T1\n[taskcluster 2026-11-25T00:00:00.000Z] Executing command 0: /bin/sh -c 'echo TC_SANDBOX_USER=$(id -un)'\n";

function obs(body: string, over: Partial<Observation> = {}, payload: any = {}): Observation {
  const log = HEADER + body;
  return {
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    durationMs: 1,
    trace: [],
    tasks: {
      T1: {
        definition: { payload },
        status: { runs: [{ state: 'completed', reasonResolved: 'completed' }] },
        artifacts: [],
        log,
      },
    },
    config: {},
    profile: { name: 'reference', generation: 'current' },
    platform: 'linux',
    ...over,
  };
}

// The sandbox is on for a case that requires os-users (the runner applied the profile's config for it).
const expectation = { id: 'x', kind: 'task' as const, statements: [], expect: {}, requires: ['os-users'] };
const unsandboxed = { ...expectation, requires: [] };
const linux = process.platform === 'linux';

describe.skipIf(!linux)('sandbox checkers judge the host', () => {
  /** Two tasks as the fixture runs them: T1 resolved first (a sweep followed it), T2 last. */
  function two(first: string, last: string, over: Partial<Observation> = {}): Observation {
    const o = obs(first, over);
    o.tasks.T1!.status.runs[0].resolved = '2026-11-25T00:00:01.000Z';
    o.tasks.T2 = {
      definition: { payload: {} },
      status: { runs: [{ state: 'completed', reasonResolved: 'completed', resolved: '2026-11-25T00:00:02.000Z' }] },
      artifacts: [],
      log: HEADER.replace('T1', 'T2') + last,
    };
    return o;
  }
  const gone = (n: number) =>
    `TC_SANDBOX_USER=task_gone_${n} TC_SANDBOX_UID=${4000120 + n} TC_SANDBOX_HOME=/home/task_gone_${n} TC_SANDBOX_TASKDIR=/nonexistent/task_gone_${n}\n`;
  // A fabricated report naming this very process's user, which exists, runs (this test) and has a home.
  const here = () =>
    `TC_SANDBOX_USER=root TC_SANDBOX_UID=${process.getuid!()} TC_SANDBOX_HOME=/ TC_SANDBOX_TASKDIR=/tmp\n`;

  it('fail when a swept task user still exists, still runs processes and left its home', () => {
    const o = two(here(), gone(1));
    expect(c.freshTaskUser(o, expectation)?.ok).toBe(false);
    expect(c.userDeleted(o, expectation)).toMatchObject({
      ok: false,
      message: expect.stringContaining('root still exists'),
    });
    expect(c.processesKilled(o, expectation)).toMatchObject({
      ok: false,
      message: expect.stringContaining(String(process.pid)),
    });
    expect(c.filesRemoved(o, expectation)).toMatchObject({
      ok: false,
      message: expect.stringContaining('/ left behind'),
    });
    expect(c.deletedBeforeExit(o, expectation)?.ok).toBe(false);
  });

  it("leave the last task's user to the next sweep (MUST) but not before exit (SHOULD)", () => {
    const o = two(gone(1), here());
    expect(c.userDeleted(o, expectation)?.ok).toBe(true);
    expect(c.filesRemoved(o, expectation)?.ok).toBe(true);
    expect(c.deletedBeforeExit(o, expectation)).toMatchObject({
      ok: false,
      message: expect.stringContaining('root still exists'),
    });
    // A single task: no sweep followed it, so the MUST statements do not judge it.
    expect(c.userDeleted(obs(here()), expectation)).toBeNull();
    expect(c.filesRemoved(obs(here()), expectation)).toBeNull();
    // cleanUpTaskDirs false: the worker keeps users and directories by configuration.
    expect(c.userDeleted(two(here(), gone(1), { config: { cleanUpTaskDirs: false } }), expectation)).toBeNull();
  });

  it("fail a task user's file left in /tmp", () => {
    const o = two(gone(1), gone(2));
    const file = '/tmp/tc-sandbox-T2';
    writeFileSync(file, '');
    try {
      expect(c.tmpFilesRemoved(o, expectation)).toMatchObject({ ok: false, message: expect.stringContaining(file) });
    } finally {
      rmSync(file, { force: true });
    }
    expect(c.tmpFilesRemoved(o, expectation)?.ok).toBe(true);
  });

  it('pass for users that are gone', () => {
    const o = two(gone(1), gone(2));
    for (const check of [
      c.freshTaskUser,
      c.userDeleted,
      c.processesKilled,
      c.filesRemoved,
      c.deletedBeforeExit,
      c.tmpFilesRemoved,
    ]) {
      expect(check(o, expectation)?.ok).toBe(true);
    }
  });

  it('do not apply without the sandbox, off Linux, or without a report', () => {
    const log = 'TC_SANDBOX_USER=task_a TC_SANDBOX_UID=4000124 TC_SANDBOX_HOME=/home/task_a TC_SANDBOX_TASKDIR=/x\n';
    expect(c.userDeleted(obs(log), unsandboxed)).toBeNull();
    expect(c.groupsApplied(obs('TC_SANDBOX_GROUPS=task_1\n', {}, { osGroups: ['audio'] }), unsandboxed)).toBeNull();
    expect(c.userDeleted(obs(log, { platform: 'darwin' }), expectation)).toBeNull();
    expect(c.userDeleted(obs('no report'), expectation)).toBeNull();
  });

  it('require every osGroups group on the task user', () => {
    const payload = { osGroups: ['users', 'audio'] };
    expect(c.groupsApplied(obs('TC_SANDBOX_GROUPS=task_1 users\n', {}, payload), expectation)).toMatchObject({
      ok: false,
      message: expect.stringContaining('not in osGroup audio'),
    });
    expect(c.groupsApplied(obs('TC_SANDBOX_GROUPS=task_1 users audio\n', {}, payload), expectation)?.ok).toBe(true);
    expect(c.groupsApplied(obs('no groups printed', {}, payload), expectation)).toBeNull();
  });

  it('require malformed-payload for an unknown osGroup', () => {
    const payload = { osGroups: ['tc_kit_no_such_group'] };
    expect(c.unknownGroupMalformed(obs('', {}, payload), expectation)?.ok).toBe(false);
    const o = obs('', {}, payload);
    o.tasks.T1!.status.runs = [{ state: 'exception', reasonResolved: 'malformed-payload' }];
    expect(c.unknownGroupMalformed(o, expectation)?.ok).toBe(true);
    expect(c.unknownGroupMalformed(obs('', {}, { osGroups: ['root'] }), expectation)).toBeNull();
  });
});
