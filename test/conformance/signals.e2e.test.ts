// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${MARKERS} is a fixture placeholder, not a template
// setup.signals through the CLI against the reference worker: a step's placeholders are expanded (a
// whenFile under ${MARKERS} fires once the task creates it), and a step that never fired makes the case
// fail, whatever the worker did, since the fault the case is about was not injected.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const KIT = resolve(import.meta.dirname, '../..');
const posix = process.platform !== 'win32';

function fixture(id: string, command: string, signal: Record<string, unknown>, expect: Record<string, unknown>) {
  return {
    id,
    description: id,
    statements: ['queue.resolve.exactly-once'],
    level: 'MUST',
    generations: ['current'],
    platforms: ['linux', 'darwin'],
    kind: 'task',
    task: { payload: { command: [['/bin/sh', '-c', command]], maxRunTime: 30 } },
    setup: { signals: [signal] },
    expect,
    timeoutSecs: 40,
  };
}

let cases: Record<string, { outcome: string; reason?: string }> = {};

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-kit-signals-'));
  mkdirSync(join(dir, 'fixtures', 'signals', 'when-file'), { recursive: true });
  const write = (name: string, f: object) =>
    writeFileSync(join(dir, 'fixtures', 'signals', 'when-file', `${name}.json`), JSON.stringify(f));
  // Passes on the worker's behaviour alone (the task completes, the worker exits 0): only the rule fails it.
  write(
    'never-due',
    fixture(
      'signals/when-file/never-due',
      'echo ok',
      { signal: 'SIGTERM', whenFile: '${MARKERS}/never-created' },
      { exitCode: 0, runs: [{ state: 'completed', reasonResolved: 'completed' }] },
    ),
  );
  // Passes only when the SIGTERM is sent once the task created ${MARKERS}/go.
  write(
    'when-file',
    fixture(
      'signals/when-file/fires',
      "touch '${MARKERS}/go'; sleep 30",
      { signal: 'SIGTERM', whenFile: '${MARKERS}/go' },
      { exitCode: 72, runs: [{ state: 'exception', reasonResolved: 'worker-shutdown' }] },
    ),
  );
  // The same rule for the steps the kit sends as worker-runner: this one waits for a message no worker sends.
  write('runner-never-due', {
    ...fixture(
      'signals/when-file/runner-step-never-due',
      'echo ok',
      { signal: 'SIGTERM', afterMs: 0 },
      {
        exitCode: 0,
        runs: [{ state: 'completed', reasonResolved: 'completed' }],
      },
    ),
    requires: ['runner'],
    setup: {
      workerRunner: {
        welcome: ['graceful-termination'],
        steps: [{ whenMessage: 'no-such-message', send: { type: 'graceful-termination', 'finish-tasks': true } }],
      },
    },
  });
  const none = join(dir, 'no-baseline.json');
  writeFileSync(none, '{}');
  const r = spawnSync(
    process.execPath,
    [
      join(KIT, 'bin/tc-conformance.js'),
      '--no-default-fixtures',
      '--fixtures',
      join(dir, 'fixtures'),
      '--expectations',
      none,
      '--report-dir',
      join(dir, 'reports'),
      '--jobs',
      '2',
    ],
    { cwd: KIT, encoding: 'utf8', timeout: 120_000 },
  );
  if (r.error) throw r.error;
  const report = JSON.parse(readFileSync(join(dir, 'reports', 'report.json'), 'utf8'));
  cases = Object.fromEntries(report.cases.map((c: any) => [c.id, c]));
}, 150_000);

describe.skipIf(!posix)('setup.signals', () => {
  it('a step that never fired fails the case, naming the step', () => {
    expect(cases['signals/when-file/never-due']?.outcome).toBe('fail');
    expect(cases['signals/when-file/never-due']?.reason).toMatch(
      /^setup\.signals\[0\] \(SIGTERM whenFile \S+\/markers\/never-created\) was not sent before the worker exited: the fault this case is about was not injected$/,
    );
  });

  it('a worker-runner step that never fired fails the case, naming the step', () => {
    expect(cases['signals/when-file/runner-step-never-due']?.outcome).toBe('fail');
    expect(cases['signals/when-file/runner-step-never-due']?.reason).toBe(
      'setup.workerRunner.steps[0] (send graceful-termination whenMessage "no-such-message") was not sent before the worker exited: the fault this case is about was not injected',
    );
  });

  it('a whenFile under ${MARKERS} fires once the task creates it', () => {
    expect(cases['signals/when-file/fires']).toMatchObject({ outcome: 'pass' });
  });
});
