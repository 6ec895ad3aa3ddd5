// scripts/ci-summary.js prints the closing line CI reads; CI keeps only the tail of its output, so a
// failed test must be named right above that line, not only far up in vitest's own output.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = new URL('../../scripts/ci-summary.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ci-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let reports = 0;
function summary(report: unknown, priorStatus = '0') {
  const file = join(dir, `r${++reports}.json`);
  writeFileSync(file, JSON.stringify(report));
  return spawnSync(process.execPath, [script, file, priorStatus], { encoding: 'utf8', cwd: dir });
}

describe('ci-summary', () => {
  it('names each failed test, and a file that did not load, just above the closing line', () => {
    const r = summary({
      numPassedTests: 2,
      numFailedTests: 1,
      numPendingTests: 1,
      testResults: [
        {
          name: join(dir, 'test/a.test.ts'),
          status: 'failed',
          assertionResults: [
            { status: 'passed', title: 'ok', fullName: 'suite ok' },
            { status: 'failed', title: 'breaks', fullName: 'suite breaks', failureMessages: ['Error: boom\n  at x'] },
          ],
        },
        { name: join(dir, 'test/b.test.ts'), status: 'failed', message: 'SyntaxError: nope', assertionResults: [] },
      ],
    });
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      'failed test: test/a.test.ts > suite breaks: Error: boom',
      'failed test: test/b.test.ts: did not load: SyntaxError: nope',
      '2 passed, 2 failed, 1 skipped',
    ]);
  });

  it('a green report with a failed earlier step still ends failed, with no test named', () => {
    const r = summary({ numPassedTests: 3, numFailedTests: 0, testResults: [] }, '1');
    expect(r.status).toBe(1);
    expect(r.stdout.trim()).toBe('3 passed, 1 failed, 0 skipped');
    expect(r.stderr).toContain('a CI step other than the tests failed');
  });

  it('all green exits 0', () => {
    const r = summary({ numPassedTests: 3, numFailedTests: 0, numPendingTests: 2, testResults: [] });
    expect([r.status, r.stdout.trim()]).toEqual([0, '3 passed, 0 failed, 2 skipped']);
  });
});
