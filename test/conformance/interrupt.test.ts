// Ctrl-C on tc-conformance takes the running worker (in its own process group) down with it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseSlug } from '../../conformance/plan.ts';

const KIT = resolve(import.meta.dirname, '../..');

/** Pids whose command line mentions `needle` (Linux /proc). */
function pidsWith(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) out.push(Number(name));
    } catch {}
  }
  return out;
}

async function until<T>(what: string, f: () => T | undefined, ms: number): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const v = f();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(process.platform !== 'linux' || !existsSync('/proc/self/cmdline'))('interrupting a run', () => {
  it('SIGINT stops the runner with 130 and kills the worker it was running, with its task', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-kit-int-'));
    const id = `interrupt/long/task-${Date.now()}`;
    // Names the task's shell in the process table, to see that the task died with its worker.
    const marker = `tc-kit-interrupt-marker-${process.pid}-${Date.now()}`;
    mkdirSync(join(dir, 'cases'));
    writeFileSync(
      join(dir, 'cases', 'long.json'),
      JSON.stringify({
        id,
        description: 'a task that outlives the test',
        statements: ['queue.resolve.exactly-once'],
        level: 'MUST',
        generations: ['current'],
        platforms: ['linux'],
        kind: 'task',
        task: { payload: { command: [['/bin/bash', '-c', `sleep 50; echo ${marker}`]], maxRunTime: 60 } },
        expect: { exitCode: 0 },
        timeoutSecs: 55,
      }),
    );
    const cli = spawn(
      process.execPath,
      [
        join(KIT, 'bin/tc-conformance.js'),
        '--no-default-fixtures',
        '--fixtures',
        join(dir, 'cases'),
        '--report-dir',
        join(dir, 'r'),
      ],
      { cwd: KIT, stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((r) => cli.on('exit', (code) => r(code)));
    const slug = caseSlug(id);
    // The worker's argv names its config file under the case's slug.
    await until(
      'the worker to start',
      () => (pidsWith(`${slug}/worker-config.json`).length > 0 ? true : undefined),
      30_000,
    );
    cli.kill('SIGINT');
    expect(await exited).toBe(130);
    await until('the worker to be gone', () => (pidsWith(slug).length === 0 ? true : undefined), 10_000);
    await until('the task to be gone', () => (pidsWith(marker).length === 0 ? true : undefined), 10_000);
  });
});
