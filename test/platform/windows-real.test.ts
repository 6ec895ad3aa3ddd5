// The Windows platform for real, on the CI matrix's Windows job (skipped elsewhere): wrapper
// scripts carry environment and working directory from one command to the next, a failing
// command's exit code comes back, and taskkill /t /f ends a whole process tree.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../reference/platform/platform.ts';
import { WindowsPlatform } from '../../reference/platform/windows.ts';

async function output(proc: RunningProcess): Promise<{ out: string; code: number | null }> {
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    out += d;
  });
  const exit = await proc.exited;
  return { out, code: exit.exitCode };
}

describe.skipIf(process.platform !== 'win32')('WindowsPlatform on Windows', () => {
  let taskDir: string;
  let platform: WindowsPlatform;
  const env = { ...(process.env as Record<string, string>), TASK_ID: 'winTaskId', GREETING: 'a&b' };

  // In a hook: vitest runs a skipped describe's body elsewhere too, which would leave temp dirs.
  beforeAll(() => {
    taskDir = mkdtempSync(path.join(tmpdir(), 'task_'));
    mkdirSync(path.join(taskDir, 'sub'));
    platform = new WindowsPlatform({ helperDir: taskDir });
  });
  afterAll(() => rmSync(taskDir, { recursive: true, force: true }));

  it('carries env and cwd between commands and returns exit codes', async () => {
    const first = await output(
      platform.spawn({ command: ['set CARRIED=yes && cd sub && echo %GREETING%'], cwd: taskDir, env }),
    );
    expect(first.code).toBe(0);
    expect(first.out).toContain('a&b');
    const second = await output(platform.spawn({ command: ['echo carried=%CARRIED% dir=%CD%'], cwd: taskDir, env }));
    expect(second.code).toBe(0);
    expect(second.out).toContain('carried=yes');
    expect(second.out).toMatch(/dir=.*\\sub/);
    const third = await output(platform.spawn({ command: ['exit /b 3'], cwd: taskDir, env }));
    expect(third.code).toBe(3);
  });

  it('kills the whole tree with taskkill /t /f', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'task_'));
    try {
      const proc = platform.spawn({ command: ['ping -n 120 127.0.0.1 >NUL'], cwd: dir, env });
      for (let i = 0; i < 100 && proc.pid === undefined; i++) await sleep(50);
      await sleep(500);
      await proc.killTree();
      const exit = await proc.exited;
      expect(exit.exitCode).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
