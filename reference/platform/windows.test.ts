// Golden tests of the Windows lifecycle: the exact command lines and the exact generated files.
// Set UPDATE_GOLDEN=1 to rewrite the golden files after an intended change (and review the diff).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RecordingRunner, recordingPlatform } from './recording.ts';
import { type WindowsPlatform, WINLOGON_KEY } from './windows.ts';
import { cmdEscape, wrapperScript } from './windows/wrapper-scripts.ts';
import { validateSid } from './windows/winsta.ts';

const GOLDEN = path.join(import.meta.dirname, 'windows', 'golden');

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1' && process.env.CI) throw new Error(`golden file ${name} is missing`);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const PASSWORD = 'pWd0_ABCDEFGHIJKLMNOPQRSTUVWX';
const PS = ['powershell.exe', '-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass'];

function windows(): { platform: WindowsPlatform; runner: RecordingRunner } {
  const { platform, runner } = recordingPlatform('windows', {
    baseEnv: { SystemRoot: 'C:\\Windows', PATH: 'C:\\Windows\\system32', SECRET: 'not-for-tasks' },
    helperDir: 'C:\\tc\\helpers',
    generatePassword: () => PASSWORD,
  });
  return { platform: platform as WindowsPlatform, runner };
}

describe('Windows task-user lifecycle', () => {
  it('creates the user, relocates AppData, sets auto-logon and reboots with the seed commands', async () => {
    const { platform, runner } = windows();
    const result = await platform.prepareTaskUser('task_1700000000', {
      taskDir: 'Z:\\task_1700000000',
      disableReboots: false,
    });
    expect(result).toMatchObject({
      exitCode: 67,
      rebooted: true,
      user: { name: 'task_1700000000', password: PASSWORD },
    });
    expect(runner.commandLines()).toEqual([
      ['net', 'user', 'task_1700000000', PASSWORD, '/add', '/expires:never', '/passwordchg:no', '/y'],
      [...PS, '-File', 'C:\\tc\\helpers\\tc-known-folders.ps1'],
      ['reg', 'add', WINLOGON_KEY, '/v', 'AutoAdminLogon', '/t', 'REG_SZ', '/d', '1', '/f'],
      ['reg', 'add', WINLOGON_KEY, '/v', 'DefaultUserName', '/t', 'REG_SZ', '/d', 'task_1700000000', '/f'],
      ['reg', 'add', WINLOGON_KEY, '/v', 'DefaultPassword', '/t', 'REG_SZ', '/d', PASSWORD, '/f'],
      ['C:\\Windows\\System32\\shutdown.exe', '/r', '/t', '3', '/c', 'generic-worker requested reboot'],
    ]);
    const script = runner.writes().find((w) => w.path.endsWith('tc-known-folders.ps1'))!.content;
    golden('known-folders.ps1', script);
    // The ten steps, in order: in Run() and, per folder, in Relocate().
    const inOrder = (from: string, steps: string[]) => {
      let at = script.indexOf(from);
      expect(at, from).toBeGreaterThan(-1);
      for (const step of steps) {
        const next = script.indexOf(step, at);
        expect(next, step).toBeGreaterThan(at);
        at = next;
      }
    };
    inOrder('public static void Run', [
      'LogonUserW(user',
      'LoadUserProfileW(token',
      'FOLDERID_RoamingAppData',
      'FOLDERID_LocalAppData',
      'UnloadUserProfile(token',
      'CloseHandle(token)',
    ]);
    inOrder('static void Relocate', [
      'SHSetKnownFolderPath(ref g',
      'SHGetKnownFolderPath(ref g, KF_FLAG_CREATE',
      'CoTaskMemFree(created)',
    ]);
    expect(script).toContain('3EB685DB-65F9-4CF6-A03A-E3EF65729F3D'); // FOLDERID_RoamingAppData
    expect(script).toContain('F1B32785-6FBA-4FCF-9D55-7B8E7F157091'); // FOLDERID_LocalAppData
  });

  it('with disableReboots sets everything up but exits 67 without shutdown.exe', async () => {
    const { platform, runner } = windows();
    const result = await platform.prepareTaskUser('task_1700000001', { taskDir: 'Z:\\t', disableReboots: true });
    expect(result.exitCode).toBe(67);
    expect(result.rebooted).toBe(false);
    expect(runner.commandLines().some((argv) => argv[0]!.endsWith('shutdown.exe'))).toBe(false);
  });

  it('passes the password only in the helper environment, never in a helper file', async () => {
    const { platform, runner } = windows();
    await platform.prepareTaskUser('task_1700000002', { taskDir: 'Z:\\t', disableReboots: true });
    for (const w of runner.writes()) expect(w.content).not.toContain(PASSWORD);
    const ps = runner.calls.find((c) => c.kind === 'run' && c.argv.includes('-File'));
    expect(ps).toBeDefined();
  });

  it('a failing net user stops the lifecycle with an error that names the command but not the password', async () => {
    const { platform, runner } = windows();
    runner.answer('net user', { exitCode: 2, stderr: 'The password does not meet the password policy requirements.' });
    const err = await platform
      .prepareTaskUser('task_1700000003', { taskDir: 'Z:\\t', disableReboots: true })
      .catch((e) => e);
    expect(err.message).toMatch(/net user task_1700000003 <redacted> \/add/);
    expect(err.message).toContain('password policy');
    expect(err.message).not.toContain(PASSWORD);
    expect(runner.commandLines()).toHaveLength(1);
  });

  it('deletes users, purges leftovers and kills trees with taskkill', async () => {
    const { platform, runner } = windows();
    runner.answer(/Get-LocalUser/, { stdout: 'Administrator\r\ntask_1\r\nGuest\r\ntask_2\r\n' });
    expect(await platform.leftoverTaskUsers()).toEqual(['task_1', 'task_2']);
    await platform.deleteTaskUser({ name: 'task_1', home: 'C:\\Users\\task_1', groups: [] });
    expect(runner.commandLines().slice(1)).toEqual([
      ['taskkill.exe', '/f', '/t', '/fi', 'USERNAME eq task_1'],
      ['net', 'user', 'task_1', '/delete'],
      ['cmd.exe', '/d', '/c', 'rmdir', '/s', '/q', 'C:\\Users\\task_1'],
    ]);
  });

  it('install service: run-tc-worker.bat and the nssm commands', async () => {
    const { platform, runner } = windows();
    await platform.installService({
      dir: 'C:\\tc',
      workerCommand: '"C:\\tc\\node.exe" "C:\\tc\\bin\\tc-worker.js"',
      configFile: 'C:\\tc\\generic-worker.config',
    });
    golden('run-tc-worker.bat', runner.writes()[0]!.content);
    golden('nssm-commands.json', `${JSON.stringify(runner.commandLines(), null, 1)}\n`);
    expect(runner.commandLines()[0]).toEqual([
      'C:\\nssm-2.24\\win64\\nssm.exe',
      'install',
      'Generic Worker',
      'C:\\tc\\run-tc-worker.bat',
    ]);
  });

  it('grant-winsta-access validates the SID and runs the generated script', async () => {
    const { platform, runner } = windows();
    await platform.grantWinstaAccess('S-1-5-21-1-2-3-1001');
    golden('grant-winsta.ps1', runner.writes()[0]!.content);
    expect(() => validateSid('S-1-5; Remove-Item C:\\')).toThrow(/not a Windows SID/);
    await expect(platform.grantWinstaAccess('nobody')).rejects.toThrow(/--sid: "nobody"/);
  });
});

describe('Windows task commands', () => {
  it('wraps each command, carries env and cwd from one command to the next, and kills with taskkill /t /f', async () => {
    const { platform, runner } = windows();
    const taskDir = 'C:\\Users\\task_1';
    const env = { TASK_ID: 'fNOtb-1RQ2SA4LA2GGrhAw', GREETING: 'a&b 100%' };
    const first = platform.spawn({ command: ['echo %GREETING% && cd sub && set X=1'], cwd: taskDir, env });
    expect(await first.exited).toEqual({ exitCode: 0, signal: null });
    // What the first wrapper saved (set > env.txt, cd > dir.txt), as cmd.exe would have.
    await runner.writeFile(`${taskDir}\\env.txt`, 'GREETING=a&b 100%\r\nTASK_ID=fNOtb-1RQ2SA4LA2GGrhAw\r\nX=1\r\n');
    await runner.writeFile(`${taskDir}\\dir.txt`, `${taskDir}\\sub\r\n`);
    runner.answer(/command_000001_wrapper/, { exitCode: 3 });
    const second = platform.spawn({ command: ['exit /b 3'], cwd: taskDir, env });
    expect((await second.exited).exitCode).toBe(3);
    const files = new Map(runner.writes().map((w) => [w.path.slice(taskDir.length + 1), w.content]));
    golden('command_000000.bat', files.get('command_000000.bat')!);
    golden('command_000000_wrapper.bat', files.get('command_000000_wrapper.bat')!);
    golden('command_000001_wrapper.bat', files.get('command_000001_wrapper.bat')!);
    expect(files.get('command_000001_wrapper.bat')).toContain(`cd /d "${taskDir}\\sub"\r\n`);
    expect(files.get('command_000001_wrapper.bat')).toContain('set X=1\r\n');
    expect(files.get('command_000001_wrapper.bat')).toContain('set GREETING=a^&b 100%%\r\n');
    const starts = runner.calls.filter((c) => c.kind === 'start');
    expect(starts.map((c) => c.argv)).toEqual([
      ['cmd.exe', '/d', '/c', `${taskDir}\\command_000000_wrapper.bat`],
      ['cmd.exe', '/d', '/c', `${taskDir}\\command_000001_wrapper.bat`],
    ]);
    await second.killTree();
    expect(runner.commandLines().at(-1)).toEqual(['taskkill.exe', '/pid', String(second.pid), '/f', '/t']);
  });

  it('runs commands of a task user through the run-as helper with a clean environment', async () => {
    const { platform, runner } = windows();
    const user = { name: 'task_1', home: 'C:\\Users\\task_1', groups: [], password: PASSWORD };
    const proc = platform.spawn({ command: ['whoami'], cwd: 'Z:\\task_1', env: { TASK_ID: 'x' }, user });
    await proc.exited;
    const start = runner.calls.find((c) => c.kind === 'start')!;
    expect(start.kind === 'start' && start.argv).toEqual([...PS, '-File', 'C:\\tc\\helpers\\tc-run-as-user.ps1']);
    if (start.kind !== 'start') throw new Error('unreachable');
    expect(start.env.TC_RUNAS_USER).toBe('task_1');
    expect(start.env.TC_RUNAS_SCRIPT).toBe('Z:\\task_1\\command_000000_wrapper.bat');
    const taskEnv = JSON.parse(Buffer.from(start.env.TC_RUNAS_ENV!, 'base64').toString());
    expect(taskEnv).toEqual({
      SystemRoot: 'C:\\Windows',
      PATH: 'C:\\Windows\\system32',
      USERNAME: 'task_1',
      USERPROFILE: 'C:\\Users\\task_1',
      TASK_ID: 'x',
    });
    golden('run-as-user.ps1', runner.writes().find((w) => w.path.endsWith('tc-run-as-user.ps1'))!.content);
  });

  it('escapes cmd.exe metacharacters in env values and rejects bad names', () => {
    expect(cmdEscape('a&b|c<d>e^f(g)"h%i')).toBe('a^&b^|c^<d^>e^^f^(g^)^"h%%i');
    expect(() => wrapperScript({ taskId: 't', index: 0, last: true, taskDir: 'C:\\t', env: { 'A B': '1' } })).toThrow(
      /invalid variable name/,
    );
    expect(() => wrapperScript({ taskId: 't', index: 1, last: true, taskDir: 'C:\\t', env: {} })).toThrow(
      /needs env.txt/,
    );
    const last = wrapperScript({ taskId: 't', index: 0, last: true, taskDir: 'C:\\t', env: {} });
    expect(last).not.toContain('env.txt');
  });
});

describe('recording runner', () => {
  it('lets a scripted failure surface as a clear error from the platform', async () => {
    const { platform, runner } = windows();
    runner.answer('reg add', { exitCode: 1, stderr: 'ERROR: Access is denied.' });
    const user = { name: 'task_1', home: 'C:\\Users\\task_1', groups: [], password: PASSWORD };
    await expect(platform.setAutoLogon(user)).rejects.toThrow(/exit code 1.*AutoAdminLogon[\s\S]*Access is denied/);
  });
});
