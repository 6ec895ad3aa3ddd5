import { describe, expect, it } from 'vitest';
import { RecordingRunner } from '../recording.ts';
import { WindowsPlatform, WINLOGON_KEY } from '../windows.ts';
import { nextTaskUserName, windowsBoot } from './lifecycle.ts';

const PASSWORD = 'pWd0_ABCDEFGHIJKLMNOPQRSTUVWX';
const log = { info: () => {} };
const cfg = { tasksDir: 'D:\\tasks', disableReboots: true, runAfterUserCreation: '' };

function setup(runner = new RecordingRunner()) {
  const platform = new WindowsPlatform({ runner, helperDir: 'C:\\tc', baseEnv: {}, generatePassword: () => PASSWORD });
  return { platform, runner };
}

describe('Windows multiuser boot cycle', () => {
  it('first boot: creates task_<unix seconds>, sets auto-logon and exits 67 without rebooting (disableReboots)', async () => {
    const { platform, runner } = setup();
    runner.answer('reg query', {
      exitCode: 1,
      stderr: 'ERROR: The system was unable to find the specified registry key or value.',
    });
    const result = await windowsBoot(platform, cfg, log, { now: 1_700_000_000_500 });
    expect(result).toEqual({ exitCode: 67 });
    const lines = runner.commandLines().map((a) => a.join(' '));
    expect(lines).toContain(`net user task_1700000000 ${PASSWORD} /add /expires:never /passwordchg:no /y`);
    expect(lines).toContain(`reg add ${WINLOGON_KEY} /v DefaultUserName /t REG_SZ /d task_1700000000 /f`);
    expect(lines.some((l) => l.includes('shutdown.exe'))).toBe(false);
  });

  it('reboots with the seed command when reboots are enabled', async () => {
    const { platform, runner } = setup();
    runner.answer('reg query', { exitCode: 1 });
    expect(await windowsBoot(platform, { ...cfg, disableReboots: false }, log)).toEqual({ exitCode: 67 });
    expect(runner.commandLines().at(-1)).toEqual([
      'C:\\Windows\\System32\\shutdown.exe',
      '/r',
      '/t',
      '3',
      '/c',
      'generic-worker requested reboot',
    ]);
  });

  it('after the reboot: runs as the logged-on auto-logon user, purges the others, runs runAfterUserCreation', async () => {
    const runner = new RecordingRunner()
      .answer(/reg query .* DefaultUserName/, {
        stdout: `\r\n${WINLOGON_KEY}\r\n    DefaultUserName    REG_SZ    task_1700000000\r\n`,
      })
      .answer(/reg query .* DefaultPassword/, { stdout: `    DefaultPassword    REG_SZ    ${PASSWORD}\r\n` })
      .answer(/Win32_ComputerSystem/, { stdout: 'WORKER-1\\task_1700000000\r\n' })
      .answer(/Get-LocalUser/, { stdout: 'Administrator\r\ntask_1699999000\r\ntask_1700000000\r\n' });
    const { platform } = setup(runner);
    const result = await windowsBoot(platform, { ...cfg, runAfterUserCreation: 'C:\\setup\\prepare.bat' }, log, {
      pollMs: 1,
    });
    expect(result).toMatchObject({
      user: { name: 'task_1700000000', password: PASSWORD },
      taskDir: 'D:\\tasks\\task_1700000000',
    });
    expect(platform.sessionTaskUser()?.name).toBe('task_1700000000');
    const lines = runner.commandLines().map((a) => a.join(' '));
    expect(lines).toContain('net user task_1699999000 /delete');
    expect(lines).not.toContain('net user task_1700000000 /delete');
    const start = runner.calls.find((c) => c.kind === 'start');
    expect(start?.kind === 'start' && start.env.TC_RUNAS_USER).toBe('task_1700000000');
    const script = runner.writes().find((w) => w.path === 'D:\\tasks\\task_1700000000\\command_000000.bat');
    expect(script?.content).toBe('@echo on\r\nC:\\setup\\prepare.bat');
  });

  it('a failing runAfterUserCreation stops the boot with its exit code', async () => {
    const runner = new RecordingRunner()
      .answer(/reg query .* DefaultUserName/, { stdout: 'DefaultUserName    REG_SZ    task_1\r\n' })
      .answer(/reg query .* DefaultPassword/, { stdout: 'DefaultPassword    REG_SZ    pw\r\n' })
      .answer(/Win32_ComputerSystem/, { stdout: 'HOST\\task_1\r\n' })
      .answer(/-File C:\\tc\\tc-run-as-user.ps1/, { exitCode: 5 });
    const { platform } = setup(runner);
    await expect(
      windowsBoot(platform, { ...cfg, runAfterUserCreation: 'exit /b 5' }, log, { pollMs: 1 }),
    ).rejects.toThrow(/runAfterUserCreation "exit \/b 5" failed: exit code 5/);
  });

  it('names users after the unix time', () => {
    expect(nextTaskUserName(1_700_000_000_999)).toBe('task_1700000000');
  });
});
