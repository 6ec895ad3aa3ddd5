// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} are fixture placeholders
// The catalogues through the real CLI and the reference worker: a few shipped security and faults cases
// pass with every runner invariant judged, and two cases written to break an invariant fail on it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const KIT = resolve(import.meta.dirname, '../..');
const INVARIANTS = [
  'security.invariant.resolved-once',
  'security.invariant.no-leftover-process',
  'security.invariant.nothing-outside-task-dir',
  'security.invariant.no-secret-leak',
];

function conformance(args: string[]) {
  const reportDir = mkdtempSync(join(tmpdir(), 'tc-kit-catalogue-'));
  const r = spawnSync(
    process.execPath,
    [join(KIT, 'bin/tc-conformance.js'), '--report-dir', reportDir, '--jobs', '2', ...args],
    {
      cwd: KIT,
      encoding: 'utf8',
      timeout: 150_000,
    },
  );
  const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
  return { code: r.status, stdout: r.stdout, report };
}

function demoCase(dir: string, id: string, statement: string, command: string) {
  const file = join(dir, `${id}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({
      id,
      description: `${id.split('/').pop()} breaks an invariant on purpose`,
      statements: [statement],
      level: 'MUST',
      generations: ['current'],
      platforms: ['linux', 'darwin'],
      kind: 'task',
      task: { payload: { command: [['/bin/sh', '-c', command]], maxRunTime: 30 } },
      expect: { exitCode: 0, runs: [{ state: 'completed' }] },
    }),
  );
}

describe.skipIf(process.platform === 'win32')('the catalogues through tc-conformance', () => {
  it('judges shipped security and faults cases by every runner invariant', () => {
    const r = conformance([
      '--only',
      'faults/task/escapee--setsid',
      '--only',
      'faults/queue/claim-work-garbled--html',
      '--only',
      'faults/task/invalid-utf8',
    ]);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('3 passed, 0 failed');
    expect(r.code).toBe(0);
    for (const c of r.report.cases) {
      const checks = new Map(c.checks.map((x: any) => [x.statement, x.ok]));
      for (const id of INVARIANTS) expect(checks.get(id), `${c.id} ${id}`).toBe(true);
      expect(c.observation.host.processScan).toBe(process.platform === 'linux' ? 'environ' : 'markers');
    }
  }, 180_000);

  it('fails a case that leaks the worker token or writes outside its task directory, naming the invariant', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-kit-catalogue-fixtures-'));
    // Current-user mode: the task is the worker's user, so it can do both; the invariants say so.
    demoCase(dir, 'faults/demo/leaks-token', 'security.secrets.not-in-task-env', "cat '${CONFIG}'");
    demoCase(
      dir,
      'faults/demo/writes-outside',
      'security.invariant.nothing-outside-task-dir',
      "echo x > '${WORK_DIR}/tc-kit-escape-demo'",
    );
    const empty = join(dir, 'expectations.json');
    writeFileSync(empty, '{}');
    const r = conformance(['--no-default-fixtures', '--fixtures', dir, '--expectations', empty]);
    expect(r.code).toBe(1);
    const byId = new Map(r.report.cases.map((c: any) => [c.id, c]));
    const leak: any = byId.get('faults/demo/leaks-token');
    expect(leak.outcome).toBe('fail');
    expect(leak.reason).toMatch(/^security\.invariant\.no-secret-leak: .*contains config accessToken/);
    expect(leak.observation.host.sentinel).toBe('<redacted>');
    const out: any = byId.get('faults/demo/writes-outside');
    expect(out.outcome).toBe('fail');
    expect(out.reason).toBe(
      'security.invariant.nothing-outside-task-dir: tc-kit-escape-demo was written outside every task directory',
    );
  }, 180_000);
});
