import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchAgentConfig, launchAgentPlist } from './darwin.ts';
import { recordingPlatform } from './recording.ts';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

const plist = launchAgentPlist({
  program: ['/usr/local/bin/node', '/usr/local/lib/tc-worker/bin/tc-worker.js'],
  configFile: '/etc/generic-worker.config',
  workingDirectory: '/Users/genericworker',
});

describe('macOS launch agent', () => {
  it('generates the seed plist: label, program arguments, working directory, RunAtLoad', () => {
    expect(plist).toContain('<string>net.generic.worker</string>');
    expect(plist).toMatch(
      /<array>\s*<string>\/usr\/local\/bin\/node<\/string>\s*<string>\/usr\/local\/lib\/tc-worker\/bin\/tc-worker.js<\/string>\s*<string>run<\/string>\s*<string>--config<\/string>\s*<string>\/etc\/generic-worker.config<\/string>\s*<\/array>/,
    );
    expect(plist).toMatch(/<key>WorkingDirectory<\/key>\s*<string>\/Users\/genericworker<\/string>/);
    expect(plist).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/);
  });

  it('escapes XML in paths and refuses an empty program', () => {
    const odd = launchAgentPlist({ program: ['/opt/a&b/<w>'], configFile: 'c', workingDirectory: '/h' });
    expect(odd).toContain('<string>/opt/a&amp;b/&lt;w&gt;</string>');
    expect(() => launchAgentPlist({ program: [], configFile: 'c', workingDirectory: '/h' })).toThrow(/program/);
  });

  it.skipIf(!has('python3'))('parses as a property list (python3 plistlib)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plist-'));
    try {
      const file = path.join(dir, 'a.plist');
      writeFileSync(file, plist);
      const out = execFileSync('python3', [
        '-c',
        'import plistlib,sys,json; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))',
        file,
      ]);
      expect(JSON.parse(out.toString())).toEqual({
        Label: 'net.generic.worker',
        ProgramArguments: [
          '/usr/local/bin/node',
          '/usr/local/lib/tc-worker/bin/tc-worker.js',
          'run',
          '--config',
          '/etc/generic-worker.config',
        ],
        WorkingDirectory: '/Users/genericworker',
        RunAtLoad: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // plutil exists only on macOS: the CI matrix's macOS job runs this for real.
  it.skipIf(!has('plutil'))('passes plutil -lint', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plist-'));
    try {
      const file = path.join(dir, 'net.generic.worker.plist');
      writeFileSync(file, plist);
      expect(execFileSync('plutil', ['-lint', file]).toString()).toContain('OK');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('generates the seed config and names a missing field', () => {
    const config = launchAgentConfig({
      accessToken: 'tok',
      clientId: 'project/worker',
      provisionerId: 'proj',
      workerGroup: 'mac',
      workerId: 'mac-1',
      workerType: 'osx',
      livelogSecret: 's',
      publicIP: '127.0.0.1',
      rootURL: 'https://tc.example.com',
    });
    expect(config).toMatchObject({
      idleTimeoutSecs: 0,
      signingKeyLocation: '.signingkey',
      tasksDir: 'tasks',
      workerTypeMetadata: {},
    });
    expect(() => launchAgentConfig({ ...(config as any), workerId: '' })).toThrow(/workerId must be given/);
  });

  it('is the insecure engine: no task users, admin commands through the runner', async () => {
    const { platform, runner } = recordingPlatform('darwin');
    await expect(platform.createTaskUser('task_1', [])).rejects.toThrow(/no OS-user sandbox on macOS/);
    expect(await platform.leftoverTaskUsers()).toEqual([]);
    await platform.reboot('generic-worker requested reboot');
    expect(await platform.groupExists('staff')).toBe(true);
    expect(runner.commandLines()).toEqual([
      ['shutdown', '-r', 'now', 'generic-worker requested reboot'],
      ['dscl', '.', '-read', '/Groups/staff', 'PrimaryGroupID'],
    ]);
  });
});
