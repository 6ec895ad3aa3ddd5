// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} placeholders are what these tests are about
// The case plan through the CLI: `--list --plan` prints it resolved; a case naming a placeholder the
// runner does not know is refused before its worker starts, naming the field; a worker that cannot
// start shows the tail of what it printed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const KIT = resolve(import.meta.dirname, '../..');
const SAMPLES = join(KIT, 'test/conformance/fixtures');
const posix = process.platform !== 'win32';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(KIT, 'bin/tc-conformance.js'), ...args], {
    cwd: KIT,
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fixtures dir with one case: the `succeeds` sample, edited. */
function oneCase(id: string, edit: (c: any) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'tc-kit-plan-'));
  const c = JSON.parse(readFileSync(join(SAMPLES, 'sample/command/succeeds.json'), 'utf8'));
  c.id = id;
  c.platforms = ['linux', 'darwin', 'windows'];
  edit(c);
  mkdirSync(join(dir, ...id.split('/').slice(0, -1)), { recursive: true });
  writeFileSync(join(dir, `${id}.json`), JSON.stringify(c));
  return dir;
}

describe('the case plan', () => {
  it('--list --plan prints each applicable case resolved: config, tasks, command, no placeholder left', () => {
    const r = cli('--no-default-fixtures', '--fixtures', SAMPLES, '--list', '--plan', '--only', 'dependency-first');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('plans use stand-ins for what only a run has');
    const json = r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1);
    const plan = JSON.parse(json);
    expect(plan.config.rootURL).toBe('http://127.0.0.1:<mock-port>');
    expect(plan.config.livelogGETPort).toBe(50000);
    expect(plan.argv.at(-1)).toBe(plan.configFile);
    expect(plan.tasks.map((t: any) => t.alias)).toEqual(['dep', 'main']);
    // ${TASK_ID:dep} in the main task became the dependency's taskId.
    expect(plan.tasks[1].definition.dependencies).toEqual([plan.tasks[0].taskId]);
    const runnerNames = /\$\{(ROOT_URL|TASK_ID|WORKER_TYPE|PORT|CONFIG|FILES_URL|TASKS_DIR)[:}]/;
    expect(json).not.toMatch(runnerNames);
  });

  it('--list --plan shows setup.signals with their placeholders expanded', () => {
    const dir = oneCase(
      'plan/signals/expanded',
      (c) => (c.setup.signals = [{ signal: 'SIGTERM', whenFile: '${WORK_DIR}/go' }]),
    );
    const r = cli('--no-default-fixtures', '--fixtures', dir, '--list', '--plan');
    const plan = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1));
    expect(plan.signals).toEqual([{ signal: 'SIGTERM', whenFile: `${plan.caseDir}/go` }]);
  });

  it('--list --plan resolves the placeholders a run adds: host fixtures and worker-runner clients', () => {
    const dir = oneCase('plan/host/markers', (c) => {
      c.setup.signals = [{ signal: 'SIGKILL', whenFile: '${MARKERS}/started' }];
      c.setup.env = { RENEWED: '${RENEWED_CLIENT_ID}' };
      c.setup.workerRunner = { welcome: [] };
      c.requires = ['runner'];
    });
    const r = cli('--no-default-fixtures', '--fixtures', dir, '--list', '--plan');
    expect(r.stdout).not.toContain('cannot be planned');
    const plan = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1));
    expect(plan.signals).toEqual([{ signal: 'SIGKILL', whenFile: `${plan.caseDir}/markers/started` }]);
    expect(plan.env.RENEWED).toBe(`tc-kit/worker-runner/${plan.slug}/renewed`);
  });

  it('--plan without --list is a usage error', () => {
    const r = cli('--plan');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--plan needs --list');
  });

  it.each([
    [
      'setup.config',
      (c: any) => (c.setup.config = { rootURL: '${ROOT_ULR}' }),
      '/setup/config/rootURL: unknown placeholder ${ROOT_ULR}',
    ],
    [
      'a task alias',
      (c: any) => (c.task.dependencies = ['${TASK_ID:nobody}']),
      '/task/dependencies/0: ${TASK_ID:nobody}: no task has the alias "nobody"',
    ],
    ['setup.env', (c: any) => (c.setup.env = { X: '${PORT:4}' }), '/setup/env/X: ${PORT:4}: a case has ports'],
  ])(
    'a case with an unknown placeholder in %s is errored before its worker starts, naming the field',
    (_w, edit, message) => {
      const dir = oneCase('plan/unknown/placeholder', edit);
      const listed = cli('--no-default-fixtures', '--fixtures', dir, '--list', '--plan');
      expect(listed.stdout).toContain(`cannot be planned: ${message}`);
      const reportDir = join(dir, 'reports');
      const r = cli('--no-default-fixtures', '--fixtures', dir, '--report-dir', reportDir);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('errored');
      expect(r.stdout).toContain(message);
      const [rec] = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')).cases;
      expect(rec.status).toBe('errored');
      expect(rec.observation).toBeUndefined(); // no worker ran
    },
  );

  it.skipIf(!posix)('a worker that cannot start: the failure shows the tail of its output', () => {
    // tc-worker refuses a config whose rootURL is not a URL (exit 73) before calling the Queue.
    const dir = oneCase('plan/worker/cannot-start', (c) => (c.setup.config = { rootURL: 'not a url at all' }));
    const r = cli('--no-default-fixtures', '--fixtures', dir, '--report-dir', join(dir, 'reports'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('worker exit code: expected 0, got 73');
    expect(r.stdout).toContain('worker output (last lines; it made no call to the Queue):');
    expect(r.stdout).toMatch(/ {2}\| .*rootURL/);
  });
});
