// What a refusal is about, judged on log excerpts of real runs (generic-worker v106 and 11.0.1, and
// tc-worker): a term counts only when the worker's own explanation names it, never because a
// dumped schema, the worker's settings, or the case's own pool name contain it.
import { describe, expect, it } from 'vitest';
import { statementById } from '../index.ts';
import type { CaseExpectation, Observation } from '../types.ts';
import { explanation, refusalProblems, termPattern, unnamedTerms } from './refusal.ts';

const POOL = 'k4e0b3d-hema-max-run-time-bounds-too-large';
const HEADER = `[taskcluster 2026-12-02T08:03:58.317Z] Worker Type (tc-kit/${POOL}) settings:
[taskcluster 2026-12-02T08:03:58.317Z]   {
[taskcluster 2026-12-02T08:03:58.317Z]     "generic-worker": { "maxRunTime": "not a real key" }
[taskcluster 2026-12-02T08:03:58.317Z]   }
[taskcluster 2026-12-02T08:03:58.317Z] Task ID: E6q7uBFeTWy6u30JgULvNg
[taskcluster 2026-12-02T08:03:58.317Z] === Task Starting ===
`;
/** v106 on a schema error: the whole schema (which names every property), then the errors. */
const SCHEMA_ERROR = `${HEADER}[taskcluster:error] Task payload for this worker type must conform to the following jsonschema:
[taskcluster:error] {
[taskcluster:error]   "$id": "/schemas/generic-worker/insecure_posix.json#",
[taskcluster:error]   "properties": { "maxRunTime": { "minimum": 1 }, "osGroups": {} }
[taskcluster:error] }
[taskcluster:error] TASK FAIL since the task payload is invalid. See errors:
[taskcluster:error] - (root): Must validate one and only one schema (oneOf)
[taskcluster:error] - env.KIT_COUNT: Invalid type. Expected: string, given: integer
[taskcluster:error] validation of payload failed for task E6q7uBFeTWy6u30JgULvNg
`;
/** The shipped generic-worker profile: every task refused for a switched-off feature, naming the pool. */
const FEATURE_OFF = `${HEADER}[taskcluster:error] this task is attempting to use feature "Live Log", but it's not enabled on this worker pool (tc-kit/${POOL})
[taskcluster:error] 	1. Contact the owner of the worker pool tc-kit/${POOL} (see http://127.0.0.1:1/worker-manager/tc-kit%2F${POOL}) and ask for "Live Log" to be enabled.
`;

describe('refusal terms', () => {
  it("keep only the worker's explanation: no dumped schema or settings, no echoed command", () => {
    const lines = explanation(
      `${SCHEMA_ERROR}[taskcluster 2026-12-02T08:03:58.317Z] Executing command 0: maxRunTime\n`,
    );
    expect(lines.some((l) => l.includes('"$id"') || l.includes('"properties"'))).toBe(false);
    expect(lines).toContain('- env.KIT_COUNT: Invalid type. Expected: string, given: integer');
    expect(lines.some((l) => l.startsWith('Executing command'))).toBe(false);
  });

  it('match whole terms across spelling: camelCase, spaces, path separators', () => {
    expect(termPattern('taskclusterProxy').test('feature "Taskcluster Proxy", but')).toBe(true);
    expect(termPattern('osGroups').test('Feature "OS Groups" requires scopes')).toBe(true);
    expect(termPattern('env').test('- payload/env/KIT_COUNT: must be string')).toBe(true);
    expect(termPattern('env').test('- env: Invalid type')).toBe(true);
    expect(termPattern('env').test('environment')).toBe(false);
    expect(termPattern('maxRunTime').test('max-run-time')).toBe(false);
    expect(termPattern('public/conflict.txt').test('artifact public/conflict.txt - this')).toBe(true);
  });

  it('find the term of the error, not of the schema dump', () => {
    expect(unnamedTerms(SCHEMA_ERROR, ['env'])).toEqual([]);
    // The schema names osGroups and maxRunTime; the errors name neither.
    expect(unnamedTerms(SCHEMA_ERROR, ['osGroups', 'maxRunTime'])).toEqual(['osGroups', 'maxRunTime']);
  });

  it("fail a refusal for another reason, even when the case's own pool name reads like the term", () => {
    expect(unnamedTerms(FEATURE_OFF, ['maxRunTime'], [POOL])).toEqual(['maxRunTime']);
    expect(refusalProblems(FEATURE_OFF, { about: ['maxRunTime'] }, 'task log', [POOL])).toEqual([
      `task log: the refusal does not name "maxRunTime" (in the worker's own lines, outside dumps)`,
    ]);
    expect(refusalProblems(undefined, { about: ['maxRunTime'] }, 'task log')).toEqual([
      'task log: no task log to explain the refusal',
    ]);
  });
});

describe('queue.resolve.malformed-payload-explained uses the case refusal', () => {
  const T = 'E6q7uBFeTWy6u30JgULvNg';
  const obs = (log: string): Observation => ({
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    durationMs: 1,
    trace: [
      {
        seq: 1,
        time: '2026-12-02T08:03:58.400Z',
        durationMs: 1,
        service: 'queue',
        method: 'POST',
        path: `/api/queue/v1/task/${T}/runs/0/exception`,
        route: 'reportException',
        clientId: 'task-client',
        taskId: T,
        runId: 0,
        status: 200,
        request: { body: { reason: 'malformed-payload' } },
        response: {},
      },
    ],
    tasks: { [T]: { definition: { payload: {} }, status: { runs: [] }, artifacts: [], log } },
    config: { workerType: POOL },
    profile: { name: 'generic-worker', generation: 'current' },
    platform: 'linux',
  });
  const c: CaseExpectation = {
    id: 'payload/schema/max-run-time-bounds--too-large',
    kind: 'task',
    statements: [],
    expect: { refusal: { about: ['maxRunTime'] } },
    taskIds: { main: T },
  };
  const check = statementById.get('queue.resolve.malformed-payload-explained')!.check!;
  it('passes the refusal it is about and fails one for another reason', () => {
    const right = SCHEMA_ERROR.replace(
      'env.KIT_COUNT: Invalid type',
      'maxRunTime: Must be less than or equal to 86400',
    );
    expect(check(obs(right), c)?.ok).toBe(true);
    expect(check(obs(FEATURE_OFF), c)).toMatchObject({ ok: false, message: expect.stringContaining('"maxRunTime"') });
    // Without a stated reason, an explanation of any kind outside the dumps is enough.
    expect(check(obs(FEATURE_OFF), { ...c, expect: {} })?.ok).toBe(true);
    expect(check(obs(HEADER), { ...c, expect: {} })?.ok).toBe(false);
  });
});
