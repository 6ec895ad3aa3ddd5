// The platform CLI targets through the real `tc-worker` process: Windows targets print what they
// would execute with --dry-run (on any OS) and keep their exit codes (65, 74) elsewhere.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../reference/config.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/tc-worker.js');
const tcWorker = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });
const onWindows = process.platform === 'win32';

describe('tc-worker platform targets', () => {
  it('install service --dry-run prints run-tc-worker.bat and the nssm commands', () => {
    const r = tcWorker('install', 'service', '--dry-run', '--nssm', 'D:\\nssm.exe', '--service-name', 'TC Worker');
    expect(r.status, r.stderr).toBe(0);
    const calls = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(calls[0].write).toMatch(/run-tc-worker\.bat$/);
    expect(calls[0].content).toContain(' run --config ');
    expect(calls[1].run.slice(0, 3)).toEqual(['D:\\nssm.exe', 'install', 'TC Worker']);
    expect(calls.map((c) => c.run?.slice(3).join(' '))).toContain('Start SERVICE_AUTO_START');
    expect(calls).toHaveLength(25);
  });

  it.skipIf(onWindows)('install service without --dry-run exits 65 off Windows, saying why', () => {
    const r = tcWorker('install', 'service');
    expect(r.status).toBe(65);
    expect(r.stderr).toContain('only supported on Windows');
  });

  it('grant-winsta-access validates the SID (74) and dry-runs the PowerShell helper', () => {
    const bad = tcWorker('grant-winsta-access', '--sid', 'S-1-5; calc', '--dry-run');
    expect(bad.status).toBe(74);
    expect(bad.stderr).toContain('is not a Windows SID');
    const ok = tcWorker('grant-winsta-access', '--sid', 'S-1-5-5-0-41431533', '--dry-run');
    expect(ok.status, ok.stderr).toBe(0);
    const calls = ok.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(calls[0].content).toContain("[TcWinsta]::Run('S-1-5-5-0-41431533')");
    expect(calls[1].run).toContain('C:\\tc-worker\\helpers\\tc-grant-winsta.ps1');
  });

  it('launch-agent-config writes a private config that tc-worker itself accepts', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    try {
      const out = path.join(dir, 'generic-worker.config');
      const args = [
        '--root-url',
        'https://tc.example.com',
        '--client-id',
        'project/mac',
        '--provisioner-id',
        'proj',
        '--worker-type',
        'osx',
        '--worker-group',
        'mac',
      ];
      const r = spawnSync(
        process.execPath,
        [bin, 'launch-agent-config', ...args, '--worker-id', 'mac-1', '--output', out],
        {
          encoding: 'utf8',
          env: { ...process.env, TASKCLUSTER_ACCESS_TOKEN: 'from-env' },
        },
      );
      expect(r.status, r.stderr).toBe(0);
      if (!onWindows) expect(statSync(out).mode & 0o777).toBe(0o600);
      const config = JSON.parse(readFileSync(out, 'utf8'));
      expect(config).toMatchObject({ accessToken: 'from-env', signingKeyLocation: '.signingkey', tasksDir: 'tasks' });
      expect(validateConfig(config, 'darwin').workerId).toBe('mac-1');
      const missing = tcWorker('launch-agent-config', ...args);
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain('--worker-id');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('launch-agent-plist writes the seed plist', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plist-'));
    try {
      const out = path.join(dir, 'net.generic.worker.plist');
      const r = tcWorker(
        'launch-agent-plist',
        '--program',
        '/usr/local/bin/tc-worker',
        '--working-directory',
        '/Users/gw',
        '--output',
        out,
      );
      expect(r.status, r.stderr).toBe(0);
      const plist = readFileSync(out, 'utf8');
      expect(plist).toContain('<string>/usr/local/bin/tc-worker</string>');
      expect(plist).toContain('<string>/etc/generic-worker.config</string>');
      expect(tcWorker('launch-agent-plist').status).not.toBe(0); // --working-directory is required
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
