// Hand-made observations and records for the runner's unit tests.
import type { CaseRecord, Observation, ObservedTask, TraceEntry } from '../../conformance/types.ts';

export function entry(seq: number, route: string, extra: Partial<TraceEntry> = {}): TraceEntry {
  return {
    seq,
    time: new Date(Date.UTC(2026, 10, 25, 12, 0, seq)).toISOString(),
    durationMs: 3,
    service: 'queue',
    method: 'POST',
    path: `/api/queue/v1/${route}`,
    route,
    clientId: 'tc-kit/worker',
    status: 200,
    request: {},
    response: {},
    ...extra,
  };
}

export function task(state: string, reasonResolved: string, extra: Partial<ObservedTask> = {}): ObservedTask {
  return {
    definition: { payload: {} },
    status: { taskId: 'T1', runs: [{ runId: 0, state, reasonCreated: 'scheduled', reasonResolved }] },
    artifacts: [
      {
        runId: 0,
        name: 'public/logs/live_backing.log',
        storageType: 's3',
        contentType: 'text/plain; charset=utf-8',
        contentEncoding: 'gzip',
        sha256: 'aa',
        body: Buffer.from('[taskcluster 2026-11-25T12:00:00.000Z] hello\n'),
      },
    ],
    log: '[taskcluster 2026-11-25T12:00:00.000Z] hello\n',
    ...extra,
  };
}

export function observation(extra: Partial<Observation> = {}): Observation {
  return {
    exitCode: 0,
    signal: null,
    stdout: 'worker started\n',
    stderr: '',
    durationMs: 1200,
    trace: [entry(1, 'claimWork', { taskId: undefined }), entry(2, 'reportCompleted', { taskId: 'T1', runId: 0 })],
    tasks: { T1: task('completed', 'completed') },
    config: { rootURL: 'http://127.0.0.1:1', accessToken: 'secret-token' },
    profile: { name: 'reference', generation: 'current' },
    platform: 'linux',
    aliases: { main: 'T1' },
    ...extra,
  };
}

export function record(id: string, status: CaseRecord['status'], extra: Partial<CaseRecord> = {}): CaseRecord {
  const outcome: CaseRecord['outcome'] =
    status === 'pass' || status === 'unexpected-pass'
      ? 'pass'
      : status === 'skipped'
        ? 'skipped'
        : status === 'errored'
          ? 'errored'
          : 'fail';
  return {
    id,
    description: `${id} does something`,
    file: `/fixtures/${id}.json`,
    area: id.split('/')[0],
    statements: ['queue.claim.one-task'],
    level: 'MUST',
    outcome,
    status,
    expected: status === 'expected-fail' || status === 'unexpected-pass' ? { fail: 'known upstream gap' } : 'pass',
    reason:
      outcome === 'pass' ? undefined : status === 'skipped' ? 'needs root' : 'worker exit code: expected 0, got 1',
    durationMs: 1500,
    exitCode: 0,
    expectFailures: outcome === 'fail' ? ['worker exit code: expected 0, got 1'] : [],
    checks: [
      { statement: 'queue.claim.one-task', ok: outcome === 'pass' ? true : null, message: 'one task per claim' },
    ],
    observation: status === 'skipped' ? undefined : observation(),
    ...extra,
  };
}
