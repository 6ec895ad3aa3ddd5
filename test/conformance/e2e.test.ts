// A small end-to-end run: the real CLI, the in-process mock, the reference worker, a few sample
// cases; then the HTML report is opened in headless Chromium and read the way a person would.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const KIT = resolve(import.meta.dirname, '../..');
const SAMPLES = join(KIT, 'test/conformance/fixtures');
const CHROMIUM = '/usr/bin/chromium';
const posix = process.platform !== 'win32';

let reportDir = '';
let run: { code: number | null; stdout: string; stderr: string };

beforeAll(() => {
  reportDir = mkdtempSync(join(tmpdir(), 'tc-kit-e2e-'));
  const r = spawnSync(
    process.execPath,
    [
      join(KIT, 'bin/tc-conformance.js'),
      '--no-default-fixtures',
      '--fixtures',
      SAMPLES,
      '--report-dir',
      reportDir,
      '--expectations',
      join(KIT, 'test/conformance/sample-expectations.json'),
      '--jobs',
      '2',
    ],
    { cwd: KIT, encoding: 'utf8', timeout: 120_000 },
  );
  run = { code: r.status, stdout: r.stdout, stderr: r.stderr };
}, 150_000);

describe.skipIf(!posix)('tc-conformance end to end against the reference worker', () => {
  it('runs every sample case and exits 0 when each meets its baseline', () => {
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/\[\d\/8\] pass {12}sample\/command\/succeeds/);
    expect(run.stdout).toContain('expected-fail   sample/command/known-gap');
    // Skipped cases say why, on the line under them.
    expect(run.stdout).toMatch(/skipped +sample\/worker\/needs-a-tool \([\d.]+s\)\n +requires "no-such-requirement"/);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('7 passed, 0 failed, 1 skipped');
    expect(run.code).toBe(0);
  });

  it('writes report.json with the observation of each case', () => {
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
    expect(report.counts).toMatchObject({ pass: 6, 'expected-fail': 1, skipped: 1, fail: 0, errored: 0 });
    const ok = report.cases.find((c: any) => c.id === 'sample/command/succeeds');
    const obs = ok.observation;
    const [task] = Object.values(obs.tasks) as any[];
    expect(task.status.runs.map((r: any) => r.state)).toEqual(['completed']);
    expect(task.log).toContain('hello-from-the-task');
    expect(obs.trace.map((e: any) => e.route)).toContain('reportCompleted');
    // The harness's own calls (createTask, status, downloads) are not the worker's trace.
    expect(obs.trace.map((e: any) => e.route)).not.toContain('createTask');
    const bad = report.cases.find((c: any) => c.id === 'sample/worker/invalid-json-config');
    expect(bad.exitCode).toBe(64);
    // The SIGTERM was sent once the task was claimed: the run ended as worker-shutdown.
    const term = report.cases.find((c: any) => c.id === 'sample/worker/sigterm-while-running');
    expect(term.exitCode).toBe(72);
    // The injected 500 hit this case's own claimWork only, and the worker retried.
    const retried = report.cases.find((c: any) => c.id === 'sample/command/claim-retried-after-500');
    expect(retried.observation.trace.filter((e: any) => e.route === 'claimWork').map((e: any) => e.status)).toContain(
      500,
    );
    const gap = report.cases.find((c: any) => c.id === 'sample/command/known-gap');
    expect(gap.expectFailures[0]).toContain('does not contain "a line no worker prints"');
  });

  it('junit.xml has one testcase per case', () => {
    const xml = readFileSync(join(reportDir, 'junit.xml'), 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(8);
    expect(xml).toContain('<testsuite name="sample" tests="8" failures="0" errors="0" skipped="1"');
  });

  it('runs any worker described by a JSON profile file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-kit-profile-'));
    const reference = JSON.parse(readFileSync(join(KIT, 'conformance/profiles/reference.json'), 'utf8'));
    const profile = join(dir, 'my-worker.json');
    writeFileSync(
      profile,
      JSON.stringify({ ...reference, name: 'my-worker', description: 'tc-worker under another name' }),
    );
    const r = spawnSync(
      process.execPath,
      [
        join(KIT, 'bin/tc-conformance.js'),
        '--worker',
        profile,
        '--no-default-fixtures',
        '--fixtures',
        SAMPLES,
        '--only',
        'sample/command/succeeds',
        '--report-dir',
        join(dir, 'reports'),
      ],
      { cwd: KIT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stdout).toContain('1 cases against worker my-worker (current)');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 0 failed');
    expect(r.status).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'reports', 'report.json'), 'utf8'));
    expect(report.profile).toEqual({ name: 'my-worker', generation: 'current', source: profile });
  });

  it('--update-expectations writes the failing case into the baseline with its first problem', () => {
    const baseline = join(mkdtempSync(join(tmpdir(), 'tc-kit-upd-')), 'baseline.json');
    const r = spawnSync(
      process.execPath,
      [
        join(KIT, 'bin/tc-conformance.js'),
        '--no-default-fixtures',
        '--fixtures',
        SAMPLES,
        '--only',
        'known-gap',
        '--report-dir',
        join(reportDir, 'update'),
        '--expectations',
        baseline,
        '--update-expectations',
      ],
      { cwd: KIT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`baseline written: ${baseline}`);
    expect(JSON.parse(readFileSync(baseline, 'utf8'))).toEqual({
      'sample/command/known-gap': { fail: 'task log: does not contain "a line no worker prints"' },
    });
  });

  it('a failing case without a baseline entry makes the run exit 1', () => {
    const empty = join(mkdtempSync(join(tmpdir(), 'tc-kit-exp-')), 'none.json');
    writeFileSync(empty, '{}');
    const r = spawnSync(
      process.execPath,
      [
        join(KIT, 'bin/tc-conformance.js'),
        '--no-default-fixtures',
        '--fixtures',
        SAMPLES,
        '--only',
        'known-gap',
        '--report-dir',
        join(reportDir, 'second'),
        '--expectations',
        empty,
      ],
      { cwd: KIT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stdout).toContain('fail            sample/command/known-gap');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('0 passed, 1 failed');
    expect(r.status).toBe(1);
  });
});

describe.skipIf(!posix)('the HTML report in a browser', () => {
  // Installing a browser is a set-up step (npm run setup:chromium, which .ci/run calls), never a test's.
  const chromium = existsSync(CHROMIUM);

  it('shows the summary counts and, for a case, its statements, log and Queue trace', async (ctx) => {
    if (!chromium) ctx.skip(true, `no chromium at ${CHROMIUM}: npm run setup:chromium installs it`);
    const { chromium: pw } = await import('playwright-core');
    const browser = await pw.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      timeout: 30_000,
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(pathToFileURL(join(reportDir, 'index.html')).href);
      await expect.poll(() => page.title()).toBe('Conformance report: reference');
      expect(await page.locator('#count-pass').textContent()).toBe('6');
      expect(await page.locator('#count-expected-fail').textContent()).toBe('1');
      expect(await page.locator('#count-skipped').textContent()).toBe('1');
      expect(await page.locator('#closing').textContent()).toContain('7 passed, 0 failed, 1 skipped');

      // A person clicks a case in the list: its detail opens with the trace of that case.
      const detail = page.locator('#case-sample-command-succeeds');
      expect(await detail.locator('table.trace').isVisible()).toBe(false);
      await page.locator('a[href="#case-sample-command-succeeds"]').first().click();
      await detail.locator('table.trace').waitFor({ state: 'visible', timeout: 5000 });
      const traceText = await detail.locator('table.trace').textContent();
      expect(traceText).toContain('claimWork');
      expect(traceText).toContain('reportCompleted');
      expect(await detail.locator('pre.task-log').first().textContent()).toContain('hello-from-the-task');
      expect(await detail.locator('ul.stmts').textContent()).toContain('queue.resolve.exactly-once');

      // The status filter hides cases of other statuses.
      await page.locator('.filters button[data-status="skipped"]').click();
      expect(await detail.isVisible()).toBe(false);
      expect(await page.locator('#case-sample-worker-needs-a-tool').isVisible()).toBe(true);
      // Self-contained: nothing but the file itself was loaded.
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
