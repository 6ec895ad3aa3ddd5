// The CI matrix cannot run here, so it is validated twice: actionlint (scripts/lint-workflows.sh)
// and a structural check of what the workflow must do on each of the three systems.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_FIXTURES, loadCases, matchesOnly } from '../../conformance/cases.ts';

const root = path.resolve(import.meta.dirname, '../..');
const source = path.join(root, 'ci/github-actions.yml');
const copy = path.join(root, '.github/workflows/matrix.yml');
const script = path.join(root, 'scripts/lint-workflows.sh');
// Building actionlint is a set-up step (npm run setup:actionlint, which .ci/run calls), never a test's:
// it reaches the Go module proxy.
const hasActionlint = existsSync(path.join(root, '.tools/bin/actionlint'));

/** A GitHub expression `${{ expr }}`, spelled so it is not mistaken for a JS template. */
const gh = (expr: string) => ['$', '{{ ', expr, ' }}'].join('');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
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
    expect(runs(/npm run conformance -- --only worker\/exit-code\/reboot-required /, 'Windows')).toHaveLength(1);
    expect(runs(/npm run conformance -- --only chain-of-trust\//)).toHaveLength(1);
    expect(runs(/plutil -lint/, 'macOS')).toHaveLength(1);
  });

  it('runs every step under bash, so one script works on all three systems', () => {
    expect(job.defaults?.run?.shell).toBe('bash');
    for (const s of steps) expect(s.shell ?? 'bash', s.name).toBe('bash');
  });

  it('selects real fixture cases with --only, each for the system its step runs on', () => {
    const cases = loadCases([DEFAULT_FIXTURES]).map((c) => c.fixture);
    const systems = (cond = ''): string[] => {
      const os = { Linux: 'linux', Windows: 'windows', macOS: 'darwin' } as Record<string, string>;
      const is = /runner\.os == '(\w+)'/.exec(cond);
      if (is) return [os[is[1]!]!];
      const not = /runner\.os != '(\w+)'/.exec(cond);
      return Object.values(os).filter((o) => o !== (not ? os[not[1]!] : undefined));
    };
    const selecting = steps.filter((s) => /npm run conformance .*--only /.test(s.run ?? ''));
    expect(selecting.length).toBeGreaterThan(0);
    for (const s of selecting) {
      const patterns = [...s.run!.matchAll(/--only (\S+)/g)].map((m) => m[1]!);
      const chosen = cases.filter((c) => matchesOnly(c.id, patterns));
      expect(chosen.length, `${s.name}: --only ${patterns.join(' ')} matches no case`).toBeGreaterThan(0);
      const on = systems(s.if);
      for (const c of chosen) {
        const platforms = c.platforms ?? [];
        expect(
          platforms.length === 0 || platforms.some((p) => on.includes(p)),
          `${s.name}: ${c.id} is not for ${on}`,
        ).toBe(true);
      }
    }
  });

  it('checks out LF line endings on Windows too (Biome, bash scripts and golden files need them)', () => {
    const attr = (file: string, name: string) =>
      // safe.directory: the checkout may belong to another user (a container, a sudo run).
      spawnSync('git', ['-c', 'safe.directory=*', 'check-attr', name, '--', file], {
        cwd: root,
        encoding: 'utf8',
      }).stdout.trim();
    expect(attr('package.json', 'eol')).toBe('package.json: eol: lf');
    expect(attr('scripts/lint-workflows.sh', 'eol')).toBe('scripts/lint-workflows.sh: eol: lf');
    // CRLF on purpose, compared byte for byte: never converted.
    const golden = 'reference/platform/windows/golden/run-tc-worker.bat';
    expect(attr(golden, 'text')).toBe(`${golden}: text: unset`);
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

describe('actionlint', () => {
  const skip = 'no actionlint at .tools/bin/actionlint: npm run setup:actionlint builds it';
  it('finds nothing wrong with the workflows', (ctx) => {
    if (!hasActionlint) ctx.skip(true, skip);
    const r = spawnSync('bash', [script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('reports a broken workflow, so the check can fail', (ctx) => {
    if (!hasActionlint) ctx.skip(true, skip);
    const dir = mkdtempSync(path.join(tmpdir(), 'wf-'));
    try {
      const broken = path.join(dir, 'broken.yml');
      writeFileSync(
        broken,
        readFileSync(source, 'utf8').replace(`runs-on: ${gh('matrix.os')}`, `runs-on: ${gh('matrix.oss')}`),
      );
      const r = spawnSync('bash', [script, broken], { cwd: root, encoding: 'utf8', timeout: 30_000 });
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/oss/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a built actionlint, the lint script exits 2 naming the set-up script', () => {
    // A copy of the script in a tree with no .tools/: it must refuse, never build or pass.
    const dir = mkdtempSync(path.join(tmpdir(), 'wf-'));
    try {
      mkdirSync(path.join(dir, 'scripts'));
      copyFileSync(script, path.join(dir, 'scripts/lint-workflows.sh'));
      const r = spawnSync('bash', [path.join(dir, 'scripts/lint-workflows.sh')], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain('npm run setup:actionlint');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
