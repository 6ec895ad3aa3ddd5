import { describe, expect, it } from 'vitest';
import { expectFor, judge, matchText } from '../../conformance/judge.ts';
import type { FixtureCase } from '../../conformance/types.ts';
import { entry, observation, task } from './helpers.ts';

describe('judge: the generic matchers of a fixture expect block', () => {
  it('says (none) for a value the worker never set, never "undefined"', () => {
    const pending = task('running', '', {
      status: { taskId: 'T1', runs: [{ runId: 0, state: 'running', reasonCreated: 'scheduled' }] },
    });
    const problems = judge(
      observation({ tasks: { T1: pending } }),
      {
        runs: [{ state: 'completed', reasonResolved: 'completed' }],
        artifacts: [
          { name: 'public/logs/live_backing.log', contentType: 'text/html', reason: 'file-missing-on-worker' },
        ],
      },
      'T1',
    );
    expect(problems).toContain('task run 0: expected reasonResolved "completed", got (none)');
    expect(problems.join('\n')).toContain('reason expected "file-missing-on-worker", got (none)');
    expect(problems.join('\n')).not.toContain('undefined');
  });

  it('passes an observation that meets every kind of expectation', () => {
    const problems = judge(
      observation(),
      {
        exitCode: 0,
        runs: [{ state: 'completed', reasonResolved: 'completed' }],
        log: { contains: ['hello'], notContains: ['never'], matches: ['^\\[taskcluster \\d{4}-'] },
        artifacts: [
          {
            name: 'public/logs/live_backing.log',
            storageType: 's3',
            contentType: 'text/plain; charset=utf-8',
            contentEncoding: 'gzip',
            contentMatches: 'hello',
          },
          { name: 'public/nothing', absent: true },
        ],
        trace: [
          { route: 'claimWork' },
          { route: 'reportCompleted', minCount: 1, maxCount: 1 },
          { route: 'reportFailed', maxCount: 0 },
        ],
        stdout: { contains: ['started'] },
      },
      'T1',
    );
    expect(problems).toEqual([]);
  });

  it('reports each unmet expectation with what was expected and what was seen', () => {
    const obs = observation({ exitCode: 69, tasks: { T1: task('failed', 'failed') } });
    const problems = judge(
      obs,
      {
        exitCode: 0,
        runs: [{ state: 'completed', reasonResolved: 'completed' }],
        log: { contains: ['goodbye'], notContains: ['hello'] },
        artifacts: [
          { name: 'public/logs/live_backing.log', contentEncoding: null },
          { name: 'public/build/out.txt', storageType: 's3' },
        ],
        trace: [
          { route: 'reportCompleted', minCount: 2 },
          { route: 'claimWork', maxCount: 0 },
        ],
        stderr: { contains: ['boom'] },
      },
      'T1',
    );
    expect(problems).toContain('worker exit code: expected 0, got 69');
    expect(problems).toContain('task run 0: expected state "completed", got "failed"');
    expect(problems).toContain('task run 0: expected reasonResolved "completed", got "failed"');
    expect(problems).toContain('task log: does not contain "goodbye"');
    expect(problems).toContain('task log: contains "hello"');
    expect(problems.some((p) => p.includes('contentEncoding expected null, got "gzip"'))).toBe(true);
    expect(problems.some((p) => p.includes('"public/build/out.txt" (run 0): missing'))).toBe(true);
    expect(problems).toContain('trace reportCompleted: expected at least 2 call(s), got 1');
    expect(problems).toContain('trace claimWork: expected at most 0 call(s), got 1');
    expect(problems).toContain('worker stderr: does not contain "boom"');
  });

  it('says when the worker was killed for not exiting', () => {
    const problems = judge(observation({ exitCode: null, signal: 'SIGKILL', timedOut: true }), { exitCode: 68 });
    expect(problems[0]).toMatch(/expected 68, got no exit code \(signal SIGKILL\).*did not exit in time/);
  });

  it('counts runs and matches error artifacts by reason', () => {
    const t = task('exception', 'malformed-payload', {
      artifacts: [
        {
          runId: 0,
          name: 'public/missing.txt',
          storageType: 'error',
          reason: 'file-missing-on-worker',
          message: 'no such file',
        },
      ],
    });
    const obs = observation({ tasks: { T1: t } });
    expect(
      judge(
        obs,
        {
          runs: [{ state: 'exception', reasonResolved: 'malformed-payload' }],
          artifacts: [{ name: 'public/missing.txt', storageType: 'error', reason: 'file-missing-on-worker' }],
        },
        'T1',
      ),
    ).toEqual([]);
    expect(
      judge(obs, { artifacts: [{ name: 'public/missing.txt', reason: 'invalid-resource-on-worker' }] }, 'T1'),
    ).toEqual([
      'task artifact "public/missing.txt" (run 0): reason expected "invalid-resource-on-worker", got "file-missing-on-worker"',
    ]);
    expect(judge(obs, { runs: [{ state: 'exception' }, { state: 'completed' }] }, 'T1')[0]).toBe(
      'task: expected 2 run(s), got 1 (exception/malformed-payload)',
    );
  });

  it("wants a refusal to name what it is about in the log, outside dumps and the case's own pool name", () => {
    const refused = (log: string) =>
      observation({
        config: { workerType: 'k1-max-run-time-bounds' },
        tasks: { T1: { ...task('exception', 'malformed-payload'), log } },
      });
    const schemaError = '[taskcluster:error] - maxRunTime: Must be less than or equal to 86400\n';
    const featureOff =
      '[taskcluster:error]   "maxRunTime": {}\n[taskcluster:error] feature "Live Log" not enabled on tc-kit/k1-max-run-time-bounds\n';
    expect(judge(refused(schemaError), { refusal: { about: ['maxRunTime'] } }, 'T1')).toEqual([]);
    expect(judge(refused(featureOff), { refusal: { about: ['maxRunTime'] } }, 'T1')).toEqual([
      `task log: the refusal does not name "maxRunTime" (in the worker's own lines, outside dumps)`,
    ]);
  });

  it('judges the other tasks of a case by alias, and trace entries per task', () => {
    const obs = observation({
      tasks: { T1: task('completed', 'completed'), D1: task('failed', 'failed') },
      aliases: { main: 'T1', dep: 'D1' },
      trace: [entry(1, 'reportFailed', { taskId: 'D1' })],
    });
    const problems = judge(obs, { trace: [{ route: 'reportFailed', task: 'main', minCount: 1 }] }, 'T1', {
      dep: { runs: [{ state: 'completed' }] },
    });
    expect(problems).toEqual([
      'task dep run 0: expected state "completed", got "failed"',
      'trace reportFailed for main: expected at least 1 call(s), got 0',
    ]);
  });

  it('lets expectByGeneration override top-level keys', () => {
    const f: FixtureCase = {
      id: 'worker/config/missing-file',
      description: 'x',
      statements: [],
      expect: { exitCode: 64, stderr: { contains: ['config'] } },
      expectByGeneration: { v11: { exitCode: 73 } },
    };
    expect(expectFor(f, 'current')).toEqual({ exitCode: 64, stderr: { contains: ['config'] } });
    expect(expectFor(f, 'v11')).toEqual({ exitCode: 73, stderr: { contains: ['config'] } });
  });

  it('rejects a bad regular expression with where it is', () => {
    expect(() => matchText('x', { matches: ['('] }, 'task log')).toThrow(/task log: invalid regular expression "\("/);
  });
});
