// The CI matrix cannot run here, so it is validated twice: actionlint (scripts/lint-workflows.sh)
// and a structural check of what the workflow must do on each of the three systems.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');
const source = path.join(root, 'ci/github-actions.yml');
const copy = path.join(root, '.github/workflows/matrix.yml');
const script = path.join(root, 'scripts/lint-workflows.sh');
const hasActionlint =
  existsSync(path.join(root, '.tools/bin/actionlint')) || spawnSync('sh', ['-c', 'command -v go']).status === 0;

/** A GitHub expression `${{ expr }}`, spelled so it is not mistaken for a JS template. */
const gh = (expr: string) => ['$', '{{ ', expr, ' }}'].join('');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

const workflow = parse(readFileSync(source, 'utf8'));
const job = workflow.jobs.test;
const steps: Step[] = job.steps;
const runs = (pattern: RegExp, os?: string): Step[] =>
  steps.filter(
    (s) => s.run && pattern.test(s.run) && (os === undefined || (s.if ?? '').includes(`runner.os == '${os}'`)),
  );

describe('CI matrix workflow', () => {
  it('is copied unchanged to .github/workflows/matrix.yml', () => {
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(source, 'utf8'));
  });

  it('runs on Linux, Windows and macOS without fail-fast', () => {
    const oses: string[] = job.strategy.matrix.include.map((m: { os: string }) => m.os);
    expect(oses).toHaveLength(3);
    expect(oses.some((o) => o.startsWith('ubuntu-'))).toBe(true);
    expect(oses.some((o) => o.startsWith('windows-'))).toBe(true);
    expect(oses.some((o) => o.startsWith('macos-'))).toBe(true);
    expect(job['runs-on']).toBe(gh('matrix.os'));
    expect(job.strategy['fail-fast']).toBe(false);
  });

  it('installs with npm ci, runs npm test and the conformance kit, in that order', () => {
    const at = (re: RegExp) => steps.findIndex((s) => s.run && re.test(s.run));
    expect(steps[0]?.uses).toMatch(/^actions\/checkout@v\d+$/);
    expect(at(/^npm ci\b/)).toBeGreaterThan(0);
    expect(at(/^npm test$/m)).toBeGreaterThan(at(/^npm ci\b/));
    expect(at(/^npm run conformance\b/m)).toBeGreaterThan(at(/^npm test$/m));
  });

  it('covers the sandbox-cleanup (root), reboot exit 67 (Windows) and chain-of-trust cases', () => {
    expect(runs(/sudo .*npm run conformance -- --only sandbox\//, 'Linux')).toHaveLength(1);
    expect(runs(/sudo .*vitest run .*test\/platform/, 'Linux')).toHaveLength(1);
    expect(runs(/npm run conformance -- --only reboot/, 'Windows')).toHaveLength(1);
    expect(runs(/npm run conformance -- --only chain-of-trust\//)).toHaveLength(1);
    expect(runs(/plutil -lint/, 'macOS')).toHaveLength(1);
  });

  it('uploads the conformance reports of every job, even after a failure', () => {
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload).toBeDefined();
    expect(upload!.if).toBe('always()');
    expect(upload!.with?.path).toBe('reports/');
    expect(String(upload!.with?.name)).toContain(gh('matrix.name'));
    for (const s of runs(/npm run conformance/)) expect(s.run).toMatch(/--report-dir reports\//);
  });
});

describe.skipIf(!hasActionlint)('actionlint (needs go or a built .tools/bin/actionlint)', () => {
  it('finds nothing wrong with the workflows', () => {
    const r = spawnSync('bash', [script], { cwd: root, encoding: 'utf8', timeout: 280_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 300_000);

  it('reports a broken workflow, so the check can fail', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wf-'));
    try {
      const broken = path.join(dir, 'broken.yml');
      writeFileSync(
        broken,
        readFileSync(source, 'utf8').replace(`runs-on: ${gh('matrix.os')}`, `runs-on: ${gh('matrix.oss')}`),
      );
      const r = spawnSync('bash', [script, broken], { cwd: root, encoding: 'utf8', timeout: 280_000 });
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/oss/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
