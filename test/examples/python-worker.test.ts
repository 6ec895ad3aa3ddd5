// The Python example worker (examples/python-worker/) judged through the real tc-conformance CLI with
// its own profile and baseline: proves the profile works, the fixtures and runner are language-neutral,
// and the baseline turns a feature the example leaves out into an expected failure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const KIT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(KIT, 'examples/python-worker');
const python = process.env.PYTHON ?? 'python3';
const hasPython = spawnSync(python, ['--version'], { encoding: 'utf8' }).status === 0;
const posix = process.platform !== 'win32';

const CASES = [
  'queue/claim/one-task-lifecycle', // claimWork, temporary credentials, task log, reportCompleted
  'artifacts/file/uploaded--after-failure', // createArtifact + gzip PUT after a failed command
  'payload/schema/no-additional-properties', // malformed-payload, explained in the log
  'worker/config/unknown-key', // exit 64 before any claimWork
  'mounts/file/raw', // not implemented: an expected failure in the example's baseline
];

let reportDir = '';
let run: { code: number | null; stdout: string; stderr: string };

describe.skipIf(!hasPython || !posix)('examples/python-worker through tc-conformance (needs python3, POSIX)', () => {
  beforeAll(() => {
    reportDir = mkdtempSync(join(tmpdir(), 'tc-kit-python-worker-'));
    const r = spawnSync(
      process.execPath,
      [
        join(KIT, 'bin/tc-conformance.js'),
        '--worker',
        join(EXAMPLE, 'profile.json'),
        '--expectations',
        join(EXAMPLE, 'expectations.json'),
        '--report-dir',
        reportDir,
        ...CASES.flatMap((c) => ['--only', c]),
      ],
      { cwd: KIT, encoding: 'utf8', timeout: 150_000, env: { ...process.env, PYTHON: python } },
    );
    run = { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }, 180_000);

  afterAll(() => {
    if (reportDir) rmSync(reportDir, { recursive: true, force: true });
  });

  it('passes its cases and meets its baseline', () => {
    expect(run.stderr).toBe('');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('5 passed, 0 failed');
    expect(run.code).toBe(0);
  });

  it('is judged on the wire: run calls signed with the claim credentials, a gzip log, exit 64', () => {
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    const byId = new Map<string, any>(report.cases.map((c: any) => [c.id, c]));
    expect(report.profile.name).toBe('python-worker');
    expect(byId.get('mounts/file/raw').status).toBe('expected-fail');
    for (const id of CASES.slice(0, 4)) expect(byId.get(id).status, id).toBe('pass');

    const lifecycle = byId.get('queue/claim/one-task-lifecycle');
    expect(lifecycle.checks.find((c: any) => c.statement === 'queue.credentials.run-signed')?.ok).toBe(true);
    const trace = lifecycle.observation.trace as any[];
    const claimer = trace.find((e) => e.route === 'claimWork').clientId;
    const report_ = trace.find((e) => e.route === 'reportCompleted');
    expect(report_.status).toBe(200);
    expect(report_.clientId).not.toBe(claimer); // the run's temporary client, not the worker's own
    const [task] = Object.values(lifecycle.observation.tasks) as any[];
    expect(task.log).toMatch(/^\[taskcluster \S+Z\] Worker Type \(tc-kit\/[^)]+\) settings:$/m);
    expect(task.log).toContain('lifecycle-21');
    const log = task.artifacts.find((a: any) => a.name === 'public/logs/live_backing.log');
    expect(log).toMatchObject({ storageType: 's3', contentEncoding: 'gzip', contentType: 'text/plain; charset=utf-8' });

    const malformed = byId.get('payload/schema/no-additional-properties');
    const [bad] = Object.values(malformed.observation.tasks) as any[];
    expect(bad.log).toMatch(/^\[taskcluster:error\] - payload: additional property 'kitUnknownProperty'/m);

    const unknown = byId.get('worker/config/unknown-key');
    expect(unknown.exitCode).toBe(64);
    expect(unknown.observation.stderr).toContain("unknown key 'kitUnknownConfigKey'");
  });
});
