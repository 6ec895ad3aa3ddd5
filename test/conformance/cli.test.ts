// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} placeholders are what these tests are about
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const KIT = resolve(import.meta.dirname, '../..');
const SAMPLES = join(KIT, 'test/conformance/fixtures');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(KIT, 'bin/tc-conformance.js'), ...args], {
    cwd: KIT,
    encoding: 'utf8',
    timeout: 30_000,
    // The generic-worker profiles name their binaries only through these; a developer's own must not leak in.
    env: { ...process.env, GENERIC_WORKER_BIN: '', GENERIC_WORKER_V11_BIN: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tc-conformance usage', () => {
  it.each([
    [['--bogus'], "unknown option '--bogus'"],
    [['--jobs', '0'], 'expected a whole number from 1 to 64'],
    [['--worker', 'no-such-worker'], '--worker no-such-worker: not a built-in profile'],
    [['--fixtures', '/no/such/dir', '--list'], '--fixtures /no/such/dir: not a directory'],
    [['--no-default-fixtures', '--fixtures', SAMPLES, '--only', 'zzz-nothing'], '--only zzz-nothing: matches none of'],
    [
      ['--no-default-fixtures', '--fixtures', SAMPLES, '--expectations', '/no/such/baseline.json', '--list'],
      '--expectations /no/such/baseline.json: no such file',
    ],
    [['extra-argument'], 'too many arguments'],
    [
      ['--no-default-fixtures', '--fixtures', SAMPLES, '--worker', 'generic-worker-v11'],
      "worker generic-worker-v11: no command to run (set GENERIC_WORKER_V11_BIN to the worker's binary)",
    ],
  ])('%j → exit 2 with one line', (args, message) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it('rejects a JSON profile that lacks what a worker needs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-kit-cli-'));
    const profile = join(dir, 'my-worker.json');
    writeFileSync(profile, JSON.stringify({ name: 'mine', command: [], configTemplate: {}, generation: 'current' }));
    const r = cli('--worker', profile, '--list');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--worker ${profile}: /command: must NOT have fewer than 1 items`);
  });

  const reference = () => JSON.parse(readFileSync(join(KIT, 'conformance/profiles/reference.json'), 'utf8'));
  function profileFile(edit: (p: any) => void): string {
    const p = reference();
    edit(p);
    const file = join(mkdtempSync(join(tmpdir(), 'tc-kit-cli-')), 'profile.json');
    writeFileSync(file, JSON.stringify(p));
    return file;
  }

  it.each([
    [
      'a platform outside the vocabulary',
      (p: any) => (p.platforms = ['posix']),
      '/platforms/0: "posix" is not one of linux, darwin, windows',
    ],
    [
      'a requires-tag outside the vocabulary',
      (p: any) => (p.unsupported = ['teleport']),
      '/unsupported/0: "teleport" is not one of',
    ],
    ['an unknown key', (p: any) => (p.comand = p.command), '/comand: not a profile key'],
    [
      'an unknown placeholder',
      (p: any) => (p.configTemplate.rootURL = '${ROOT_ULR}'),
      '/configTemplate/rootURL: unknown placeholder ${ROOT_ULR}',
    ],
    [
      'a port the case does not have',
      (p: any) => (p.configTemplate.livelogGETPort = '${PORT:9}'),
      '/configTemplate/livelogGETPort: ${PORT:9}',
    ],
    [
      'an unknown placeholder in the command',
      (p: any) => p.command.push('${CONFIG_FILE}'),
      `/command/${reference().command.length}: unknown placeholder`,
    ],
    [
      'a generation the spec lacks',
      (p: any) => (p.generation = 'v12'),
      '/generation: "v12" is not one of v11, current',
    ],
  ])('refuses a profile with %s before any case runs: exit 2 naming the field', (_what, edit, message) => {
    const file = profileFile(edit);
    const r = cli('--worker', file, '--no-default-fixtures', '--fixtures', SAMPLES);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`--worker ${file}: ${message}`);
  });

  it('a profile whose platforms exclude this machine: exit 1, nothing ran, saying why', () => {
    const other = ['linux', 'darwin', 'windows'].find(
      (p) => p !== (process.platform === 'win32' ? 'windows' : process.platform),
    );
    const file = profileFile((p) => (p.platforms = [other]));
    const r = cli('--worker', file, '--no-default-fixtures', '--fixtures', SAMPLES);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `tc-conformance: no case ran: worker reference runs on ${other} (its profile's "platforms")`,
    );
    expect(r.stdout).not.toContain('passed');
  });

  it('a run in which every selected case is skipped: exit 1 with the reasons', () => {
    const r = cli('--no-default-fixtures', '--fixtures', SAMPLES, '--only', 'needs-a-tool');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tc-conformance: no case ran: all 1 selected cases are skipped for worker reference');
    expect(r.stderr).toContain('1 × requires "no-such-requirement"');
  });

  it('--help prints the usage once', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/Usage: tc-conformance/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/Exit status:\n {2}0 .*\n {2}1 .*no case could run.*\n {2}2 {2}bad usage/);
  });

  it('--list shows which cases apply and why others are skipped, without running anything', () => {
    const r = cli('--no-default-fixtures', '--fixtures', SAMPLES, '--list');
    expect(r.code).toBe(0);
    // That sample is for linux and darwin: on Windows --list must say why it does not apply.
    expect(r.stdout).toContain(
      process.platform === 'win32'
        ? 'skip  sample/command/succeeds  (platform windows not in linux, darwin)'
        : 'run   sample/command/succeeds',
    );
    expect(r.stdout).toMatch(/skip {2}sample\/worker\/needs-a-tool {2}\(requires "no-such-requirement"/);
    const v11 = cli('--no-default-fixtures', '--fixtures', SAMPLES, '--list', '--worker', 'generic-worker-v11');
    expect(v11.stdout).toContain('skip  sample/worker/invalid-json-config  (not for generation v11 (only current))');
  });
});
