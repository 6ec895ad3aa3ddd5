// The environment-marker and session scan (the tracking used where no cgroup v2 is writable), against
// real processes: what it finds, what it must leave alone, and that the kill ends what it found.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processAlive } from '../../test/helpers/process.ts';
import { killRunProcesses, parseStat, runProcesses } from './task-processes.ts';

const linux = process.platform === 'linux';
const children: ChildProcess[] = [];

function start(env: Record<string, string>, detached = true): ChildProcess {
  const c = spawn('/bin/sleep', ['300'], { env, detached, stdio: 'ignore' });
  children.push(c);
  return c;
}

async function started(c: ChildProcess): Promise<number> {
  await new Promise<void>((r) => c.once('spawn', () => r()));
  return c.pid!;
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

describe('parseStat', () => {
  it('reads state, process group and session after a command name with spaces and parentheses', () => {
    expect(parseStat('42 (a (b) c) S 1 77 99 0 -1')).toEqual({ state: 'S', pgrp: 77, session: 99 });
    expect(parseStat('garbage')).toBeUndefined();
  });
});

describe.skipIf(!linux)('run processes by environment marker and session (/proc)', () => {
  const taskDir = mkdtempSync(join(tmpdir(), 'task_marker_'));
  const marker = { taskDir, taskId: 'T1', runId: 0 };

  it("finds a process carrying the run's TASK_WORKDIR, TASK_ID and RUN_ID, not one of another run", async () => {
    const ours = await started(start({ TASK_WORKDIR: taskDir, TASK_ID: 'T1', RUN_ID: '0' }));
    const otherRun = await started(start({ TASK_WORKDIR: taskDir, TASK_ID: 'T1', RUN_ID: '1' }));
    const otherDir = await started(start({ TASK_WORKDIR: `${taskDir}-x`, TASK_ID: 'T1', RUN_ID: '0' }));
    const found = await runProcesses({ marker });
    expect(found).toContain(ours);
    expect(found).not.toContain(otherRun);
    expect(found).not.toContain(otherDir);
  });

  it('finds a process without the marker while it is in the session of one of the commands', async () => {
    const leader = await started(start({}));
    const found = await runProcesses({ marker, sessions: [leader] });
    expect(found).toContain(leader);
    expect(await runProcesses({ marker })).not.toContain(leader);
  });

  it('kills what it finds and reports it', async () => {
    const a = await started(start({ TASK_WORKDIR: taskDir, TASK_ID: 'T1', RUN_ID: '0' }));
    const bystander = await started(start({ TASK_WORKDIR: '/elsewhere' }));
    const r = await killRunProcesses({ marker });
    expect(r.killed).toContain(a);
    expect(r.refused).toEqual([]);
    expect(processAlive(a)).toBe(false);
    expect(processAlive(bystander)).toBe(true);
  });
});
