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
  it('fail when the reported task user still exists, still runs processes and left its home', () => {
    // Fabricated report naming this very process's user, which exists, runs (this test) and has a home.
    const uid = process.getuid!();
    const log = `TC_SANDBOX_USER=root TC_SANDBOX_UID=${uid} TC_SANDBOX_HOME=/ TC_SANDBOX_TASKDIR=/tmp\n`;
    expect(c.freshTaskUser(obs(log), expectation)?.ok).toBe(false);
    expect(c.userDeleted(obs(log), expectation)).toMatchObject({
      ok: false,
      message: expect.stringContaining('root still exists'),
    });
    expect(c.processesKilled(obs(log), expectation)).toMatchObject({
      ok: false,
      message: expect.stringContaining(String(process.pid)),
    });
    expect(c.filesRemoved(obs(log), expectation)).toMatchObject({
      ok: false,
      message: expect.stringContaining('/ left behind'),
    });
  });

  it('pass for a user that is gone', () => {
    const log =
      'TC_SANDBOX_USER=task_gone_0 TC_SANDBOX_UID=4000123 TC_SANDBOX_HOME=/home/task_gone_0 TC_SANDBOX_TASKDIR=/nonexistent/task_gone_0\n';
    for (const check of [c.freshTaskUser, c.userDeleted, c.processesKilled, c.filesRemoved]) {
      expect(check(obs(log), expectation)?.ok).toBe(true);
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
