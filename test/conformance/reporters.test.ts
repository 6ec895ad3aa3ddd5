import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleReporter } from '../../conformance/reporters/console.ts';
import { writeReports } from '../../conformance/reporters/index.ts';
import { junitXml } from '../../conformance/reporters/junit.ts';
import { closingLine, countStatuses, summariseStatements } from '../../conformance/reporters/summary.ts';
import type { CaseRecord } from '../../conformance/types.ts';
import { record } from './helpers.ts';

const records: CaseRecord[] = [
  record('payload/command/ok', 'pass'),
  record('payload/command/broken', 'fail'),
  record('payload/command/known', 'expected-fail'),
  record('queue/claim/fixed', 'unexpected-pass'),
  record('sandbox/cleanup/root-only', 'skipped'),
  record('worker/config/<weird & "chars">', 'errored', { reason: 'fixture x: does not match schema' }),
];
const statements = new Map([
  [
    'queue.claim.one-task',
    { id: 'queue.claim.one-task', area: 'queue', level: 'MUST', text: 'A worker claims.', source: ['x'] },
  ],
]);
const header = {
  kit: { name: 'tc-worker-kit', version: '0.1.0' },
  profile: { name: 'reference', generation: 'current' },
  platform: 'linux',
  startedAt: '2026-11-25T12:00:00.000Z',
  durationMs: 9000,
};

/** Minimal XML well-formedness: every tag closes in order, attributes quoted, no bare & or <. */
function assertWellFormedXml(xml: string): void {
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    if (m[6]) throw new Error(`stray "<" at ${m.index}`);
    if (m[5] !== undefined) {
      expect(/&(?!amp;|lt;|gt;|quot;|apos;)/.test(m[5])).toBe(false);
      continue;
    }
    if (m[1]) expect(stack.pop()).toBe(m[2]);
    else if (!m[4]) stack.push(m[2]);
  }
  expect(stack).toEqual([]);
}

describe('reporters', () => {
  it('counts statuses and ends with the plain line CI reads', () => {
    const c = countStatuses(records);
    expect(c).toEqual({ pass: 1, fail: 1, 'expected-fail': 1, 'unexpected-pass': 1, skipped: 1, errored: 1 });
    expect(closingLine(c)).toBe('2 passed, 3 failed, 1 skipped');
  });

  it('the statement summary lists every statement of the spec, untested ones included', () => {
    const all = new Map([
      ...statements,
      ['logs.format.header', { id: 'logs.format.header', area: 'logs', level: 'MUST', text: 'x', source: [] }],
    ]);
    const summary = summariseStatements(records, all);
    expect(summary.map((s) => [s.id, s.verdict, s.cases.length])).toEqual([
      ['logs.format.header', 'untested', 0],
      ['queue.claim.one-task', 'fail', 6],
    ]);
  });

  it('console: a line per case with progress, then counts and the closing line (plain when not a TTY)', () => {
    let text = '';
    const write = (s: string) => {
      text += s;
      return true;
    };
    const out = { write, isTTY: false } as unknown as NodeJS.WritableStream;
    const r = consoleReporter(out);
    for (const [i, rec] of records.entries()) r.onCase(rec, i + 1, records.length);
    r.finish(records, 9000);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('[1/6] pass            payload/command/ok (1.5s)');
    expect(text).toContain(
      '[2/6] fail            payload/command/broken (1.5s)\n      worker exit code: expected 0, got 1',
    );
    expect(text).not.toContain('\x1b[');
    expect(lines.at(-1)).toBe('2 passed, 3 failed, 1 skipped');
  });

  it('console on a TTY: coloured statuses and a running status line that each case line replaces', () => {
    let text = '';
    const write = (s: string) => {
      text += s;
      return true;
    };
    const r = consoleReporter({ write, isTTY: true } as unknown as NodeJS.WritableStream, { tty: true });
    r.onCase(records[0], 1, 2);
    r.onCase(records[1], 2, 2);
    expect(text).toContain('\x1b[32mpass');
    expect(text).toContain('1/2 done · \x1b[32m1 pass\x1b[0m');
    expect(text).toContain('\r\x1b[K[2/2]');
  });

  it('a statement that fails only where the baseline expects it to is expected-fail, not fail', () => {
    const only = [record('payload/command/ok', 'pass'), record('payload/command/known', 'expected-fail')];
    const [s] = summariseStatements(only, statements);
    expect(s).toMatchObject({ verdict: 'expected-fail', passed: 1, failed: 0, expectedFailed: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'tc-kit-rep-'));
    writeReports(dir, { header, records: only, statements: summariseStatements(only, statements) });
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.statements[0].verdict).toBe('expected-fail');
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toMatch(
      /<code>queue\.claim\.one-task<\/code>.*<span class="badge s-expected-fail">expected-fail<\/span>/,
    );
  });

  it('console: every unmet expectation and failed check, skip reasons, the baseline, the worker output tail', () => {
    let text = '';
    const write = (s: string) => {
      text += s;
      return true;
    };
    const r = consoleReporter({ write } as unknown as NodeJS.WritableStream, { tty: false });
    const failing = record('payload/command/broken', 'fail', {
      expectFailures: ['worker exit code: expected 0, got 64', 'task run 0: expected state "completed", got (none)'],
      checks: [{ statement: 'queue.claim.one-task', ok: false, message: 'no claimWork call' }],
      workerOutputTail: ['tc-worker: config /x: rootURL: must be a URL'],
    });
    r.onCase(failing, 1, 3);
    r.onCase(record('sandbox/cleanup/root-only', 'skipped'), 2, 3);
    r.onCase(record('payload/command/known', 'expected-fail'), 3, 3);
    expect(text).toContain('worker exit code: expected 0, got 64');
    expect(text).toContain('task run 0: expected state "completed", got (none)');
    expect(text).toContain('queue.claim.one-task: no claimWork call');
    expect(text).toContain('  | tc-worker: config /x: rootURL: must be a URL');
    expect(text).toMatch(/skipped +sandbox\/cleanup\/root-only \(1\.5s\)\n +needs root/);
    expect(text).toContain('baseline: known upstream gap');
    expect(text).not.toContain('undefined');
    r.finish([failing], 1000);
    const lines = text.trimEnd().split('\n');
    expect(lines.at(-2)).toMatch(
      /^CI line \(passed = pass \+ expected-fail; failed = fail \+ unexpected-pass \+ errored\):$/,
    );
    expect(lines.at(-1)).toBe('0 passed, 1 failed');
  });

  it('junit.xml: one testcase per case, grouped by area, well-formed with escaping', () => {
    const xml = junitXml(records, 'tc-kit conformance: reference', header.startedAt);
    assertWellFormedXml(xml);
    expect(xml.match(/<testcase /g)).toHaveLength(records.length);
    expect(xml).toContain(
      '<testsuites name="tc-kit conformance: reference" tests="6" failures="2" errors="1" skipped="1"',
    );
    expect(xml).toContain('<testsuite name="payload" tests="3" failures="1" errors="0" skipped="0"');
    expect(xml).toContain('classname="payload.command" name="payload/command/broken"');
    expect(xml).toContain('<skipped message="needs root"/>');
    expect(xml).toContain('name="worker/config/&lt;weird &amp; &quot;chars&quot;&gt;"');
    expect(xml).toContain(
      '<failure message="unexpected pass: the baseline expects this case to fail">known upstream gap</failure>',
    );
  });

  it('report.json: per case and per statement, secrets redacted, bodies as text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-kit-rep-'));
    const files = writeReports(dir, { header, records, statements: summariseStatements(records, statements) });
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      'report.json',
      'report.jsonl',
      'junit.xml',
      'index.html',
    ]);
    const lines = readFileSync(join(dir, 'report.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['header', ...records.map(() => 'case'), 'footer']);
    expect(lines[2]).toMatchObject({ seq: 1, id: 'payload/command/broken', status: 'fail' });
    expect(lines.at(-1).counts.errored).toBe(1);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.formatVersion).toBe(1);
    expect(report.profile).toEqual({ name: 'reference', generation: 'current' });
    expect(report.counts.pass).toBe(1);
    expect(report.cases).toHaveLength(6);
    const c = report.cases[1];
    expect(Object.keys(c)).toEqual(
      expect.arrayContaining([
        'id',
        'status',
        'outcome',
        'expected',
        'statements',
        'checks',
        'expectFailures',
        'observation',
      ]),
    );
    expect(c.observation.config.accessToken).toBe('***');
    expect(c.observation.tasks.T1.artifacts[0].content).toContain('hello');
    expect(c.observation.trace[0].route).toBe('claimWork');
    expect(report.statements).toEqual([
      expect.objectContaining({
        id: 'queue.claim.one-task',
        level: 'MUST',
        verdict: 'fail',
        passed: 2,
        failed: 1,
        expectedFailed: 1,
      }),
    ]);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<(link|script)[^>]+(href|src)=/);
    expect(html).toContain('id="case-payload-command-broken"');
  });
});
