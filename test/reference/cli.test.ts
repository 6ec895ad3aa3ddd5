// The tc-worker command line as a user runs it: a real process, its stdout/stderr and exit code.
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configProperties } from '../../reference/config.ts';
import { exitCodeTable } from '../../reference/exit-codes.ts';

const bin = fileURLToPath(new URL('../../bin/tc-worker.js', import.meta.url));
function tcWorker(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tc-worker CLI', () => {
  it('--help lists every config property (required/optional, default) and every exit code', () => {
    const { code, stdout } = tcWorker('--help');
    expect(code).toBe(0);
    const required = stdout.slice(stdout.indexOf('** REQUIRED **'), stdout.indexOf('** OPTIONAL **'));
    const optional = stdout.slice(stdout.indexOf('** OPTIONAL **'), stdout.indexOf('Exit Codes:'));
    for (const p of configProperties()) {
      expect(p.required ? required : optional).toMatch(new RegExp(`^ {10}${p.name} `, 'm'));
    }
    expect(optional).toContain('[default: "test-provisioner"]');
    const codes = stdout.slice(stdout.indexOf('Exit Codes:'));
    for (const [c] of exitCodeTable) expect(codes).toMatch(new RegExp(`^ {4}${c} `, 'm'));
  });

  it('a usage error exits with the code its exit-code table gives usage errors', () => {
    const usage = exitCodeTable.find(([, m]) => m.startsWith('Bad command-line usage'));
    expect(usage?.[0]).toBe(1);
    for (const args of [['--bogus'], ['run', '--nope'], ['no-such-target']]) {
      const r = tcWorker(...args);
      expect(r.code, args.join(' ')).toBe(usage![0]);
      expect(r.stderr, args.join(' ')).toMatch(/error: (unknown option|unknown command|too many arguments)/);
    }
  });

  it('verify-cot --help names the credentials it reads and its exit codes', () => {
    const { code, stdout } = tcWorker('verify-cot', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('TASKCLUSTER_CLIENT_ID');
    expect(stdout).toContain('TASKCLUSTER_ACCESS_TOKEN');
    expect(stdout).toContain('queue:get-artifact:public/*');
    expect(stdout).toMatch(/Exit codes: 0 verified, 1 not verified.*, 2 bad usage/);
  });

  it('--help points to documents a user can look up', () => {
    const { code, stdout } = tcWorker('--help');
    expect(code).toBe(0);
    // The macOS commands cite the upstream install guide by its path, not a heading of the seed notes.
    expect(stdout).toContain('ui/docs/reference/workers/generic-worker/installing.mdx');
    expect(stdout).not.toContain('Mac →');
  });

  it('run refuses a livelogListenAddress that is not an IP address (exit 73, naming the property)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-worker-cli-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        rootURL: 'http://127.0.0.1:1',
        clientId: 'c',
        accessToken: 'a',
        workerId: 'w',
        workerType: 't',
        publicIP: '127.0.0.1',
        livelogListenAddress: 'all-of-them',
      }),
    );
    const r = tcWorker('run', '--config', config);
    expect(r.code).toBe(73);
    expect(r.stderr).toContain("config property 'livelogListenAddress': invalid IP address: all-of-them");
  });

  it('--version names the release', () => {
    const { code, stdout } = tcWorker('--version');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^tc-worker \d+\.\d+\.\d+/);
  });

  it('show-payload-schema prints the platform payload schema', () => {
    const { code, stdout } = tcWorker('show-payload-schema');
    expect(code).toBe(0);
    const schema = JSON.parse(stdout);
    expect(schema.required).toEqual(['command', 'maxRunTime']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'command',
        'env',
        'maxRunTime',
        'artifacts',
        'features',
        'mounts',
        'osGroups',
        'supersederUrl',
        'onExitStatus',
      ]),
    );
  });

  it('run: missing config file and invalid JSON exit 64; invalid config exits 73 naming the property', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcw-cli-'));
    let r = tcWorker('run', '--config', join(dir, 'missing.config'));
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('missing.config');
    writeFileSync(join(dir, 'bad.config'), '{not json');
    r = tcWorker('run', '--config', join(dir, 'bad.config'));
    expect(r.code).toBe(64);
    writeFileSync(
      join(dir, 'invalid.config'),
      JSON.stringify({ accessToken: 'topsecret', clientId: 'c', workerId: 'w', rootURL: 'http://127.0.0.1:9' }),
    );
    r = tcWorker('run', '--config', join(dir, 'invalid.config'));
    expect(r.code).toBe(73);
    expect(r.stderr).toContain("'workerType'");
    expect(r.stderr + r.stdout).not.toContain('topsecret');
  });

  it('new-ed25519-keypair writes a usable base64 seed (0600) and prints the public key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcw-key-'));
    const file = join(dir, 'ed25519.key');
    const { code, stdout } = tcWorker('new-ed25519-keypair', '--file', file);
    expect(code).toBe(0);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600); // no POSIX modes on Windows
    const seed = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    expect(seed.length).toBe(32);
    const priv = createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
      format: 'der',
      type: 'pkcs8',
    });
    const pubRaw = Buffer.from(stdout.trim(), 'base64');
    const pub = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pubRaw]),
      format: 'der',
      type: 'spki',
    });
    const msg = Buffer.from('chain of trust');
    expect(verify(null, msg, pub, sign(null, msg, priv))).toBe(true);
  });

  it('new-openpgp-keypair writes an armored private key and prints the public key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcw-pgp-'));
    const file = join(dir, 'pgp.key');
    const { code, stdout } = tcWorker('new-openpgp-keypair', '--file', file);
    expect(code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('BEGIN PGP PRIVATE KEY BLOCK');
    expect(stdout).toContain('BEGIN PGP PUBLIC KEY BLOCK');
  });

  it.skipIf(process.platform === 'win32')(
    'Windows-only targets fail with their documented exit codes elsewhere',
    () => {
      expect(tcWorker('install', 'service').code).toBe(65);
      expect(tcWorker('grant-winsta-access', '--sid', 'S-1-5-5-0-41431533').code).toBe(74);
    },
  );
});
