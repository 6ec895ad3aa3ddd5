// Checkers judged on hand-made observations: each must pass a conforming run, fail a broken one,
// and stay silent (null) when the run does not exercise its statement.
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { statementById } from './index.ts';
import type { CaseExpectation, Observation, TraceEntry } from './types.ts';

const T = 'dSlITZ4yQgmvxxAi4A8fHQ';
const CLIENT = `task-client/${T}/0/on/g/w/until/1`;
let seq = 0;
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

function entry(route: string, s: number, o: Partial<TraceEntry> = {}): TraceEntry {
  return {
    seq: ++seq,
    time: at(s),
    durationMs: 10,
    service: 'queue',
    method: 'POST',
    path: `/api/queue/v1/task/${T}/runs/0/${route}`,
    route,
    clientId: CLIENT,
    taskId: T,
    runId: 0,
    status: 200,
    request: { headers: { 'content-type': 'application/json' } },
    response: {},
    ...o,
  };
}

function claim(s: number, takenUntilS: number): TraceEntry {
  return entry('claimWork', s, {
    path: '/api/queue/v1/claim-work/prov/wt',
    clientId: 'worker',
    taskId: undefined,
    runId: undefined,
    request: { headers: { 'content-type': 'application/json' }, body: { workerGroup: 'g', workerId: 'w', tasks: 1 } },
    response: {
      body: {
        tasks: [
          {
            status: {
              taskId: T,
              state: 'running',
              runs: [{ runId: 0, workerGroup: 'g', workerId: 'w', takenUntil: at(takenUntilS) }],
            },
            runId: 0,
            workerGroup: 'g',
            workerId: 'w',
            takenUntil: at(takenUntilS),
            task: { payload: {} },
            credentials: { clientId: CLIENT, accessToken: 'secret-token-123456', certificate: '{}' },
          },
        ],
      },
    },
  });
}

function obs(trace: TraceEntry[], o: Partial<Observation> = {}): Observation {
  return {
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    durationMs: 1000,
    trace,
    tasks: {},
    config: {},
    profile: { name: 'test', generation: 'current' },
    platform: 'linux',
    ...o,
  };
}

const CASE: CaseExpectation = { id: 'x/y/z', kind: 'task', statements: [], expect: {} };
const check = (id: string, o: Observation, c: CaseExpectation = CASE) => {
  const s = statementById.get(id);
  if (!s?.check) throw new Error(`${id} has no checker`);
  return s.check(o, c);
};

describe('queue.reclaim.before-taken-until', () => {
  it('passes reclaims and a resolution inside each claim', () => {
    const reclaim = entry('reclaimTask', 50, { response: { body: { takenUntil: at(120) } } });
    const r = check('queue.reclaim.before-taken-until', obs([claim(0, 60), reclaim, entry('reportCompleted', 100)]));
    expect(r?.ok).toBe(true);
  });
  it('fails a reclaim after takenUntil', () => {
    const r = check(
      'queue.reclaim.before-taken-until',
      obs([claim(0, 60), entry('reclaimTask', 70), entry('reportCompleted', 80)]),
    );
    expect(r?.ok).toBe(false);
    expect(r?.message).toMatch(/reclaimed at .* after/);
  });
  it('fails a resolution after an unrenewed claim expired', () => {
    expect(check('queue.reclaim.before-taken-until', obs([claim(0, 60), entry('reportCompleted', 61)]))?.ok).toBe(
      false,
    );
  });
  it('is silent without claims', () => {
    expect(check('queue.reclaim.before-taken-until', obs([]))).toBeNull();
  });
});

describe('queue.reclaim.retry-server-error', () => {
  const fail = (s: number) => entry('reclaimTask', s, { status: 500 });
  it('passes a 500 retried while the claim lasts', () => {
    expect(check('queue.reclaim.retry-server-error', obs([claim(0, 60), fail(30), entry('reclaimTask', 31)]))?.ok).toBe(
      true,
    );
  });
  it('fails a 500 answered before takenUntil and never retried', () => {
    const r = check('queue.reclaim.retry-server-error', obs([claim(0, 60), fail(30)]));
    expect(r?.ok).toBe(false);
    expect(r?.message).toMatch(/never retried/);
  });
  it('owes no retry for a 500 answered once the claim had lapsed', () => {
    expect(
      check('queue.reclaim.retry-server-error', obs([claim(0, 60), fail(30), entry('reclaimTask', 31), fail(61)]))?.ok,
    ).toBe(true);
    expect(check('queue.reclaim.retry-server-error', obs([claim(0, 60), fail(61)]))).toBeNull();
  });
});

describe('queue.reclaim.conflict-when-resolved', () => {
  const tasks = (reasonResolved: string, resolvedS: number) => ({
    [T]: { status: { taskId: T, runs: [{ runId: 0, state: 'exception', reasonResolved, resolved: at(resolvedS) }] } },
  });
  it('passes a 409 for a reclaim after the deadline resolved the run', () => {
    const o = obs([claim(0, 60), entry('reclaimTask', 31, { status: 409 })], {
      tasks: tasks('deadline-exceeded', 30) as any,
    });
    expect(check('queue.reclaim.conflict-when-resolved', o)?.ok).toBe(true);
  });
  it('fails a reclaim answered 200 after the claim expired', () => {
    const o = obs([claim(0, 60), entry('reclaimTask', 61)], { tasks: tasks('claim-expired', 60) as any });
    expect(check('queue.reclaim.conflict-when-resolved', o)?.ok).toBe(false);
  });
  it('ignores reclaims before the resolution and injected faults', () => {
    const o = obs([claim(0, 60), entry('reclaimTask', 20), entry('reclaimTask', 61, { status: 500, fault: 'f' })], {
      tasks: tasks('claim-expired', 60) as any,
    });
    expect(check('queue.reclaim.conflict-when-resolved', o)).toBeNull();
  });
});

describe('queue.resolve.after-artifacts', () => {
  const art = (s: number) =>
    entry('createArtifact', s, {
      path: `/api/queue/v1/task/${T}/runs/0/artifacts/public/a.txt`,
      request: { body: { storageType: 's3', contentType: 'text/plain', expires: at(999) } },
    });
  it('passes artifacts created before reportCompleted', () => {
    expect(check('queue.resolve.after-artifacts', obs([claim(0, 600), art(1), entry('reportCompleted', 2)]))?.ok).toBe(
      true,
    );
  });
  it('fails an artifact created after reportCompleted', () => {
    const r = check('queue.resolve.after-artifacts', obs([claim(0, 600), entry('reportCompleted', 2), art(3)]));
    expect(r?.ok).toBe(false);
    expect(r?.message).toContain('public/a.txt');
  });
  it('fails an object artifact never finished', () => {
    const o = entry('createArtifact', 1, {
      path: `/api/queue/v1/task/${T}/runs/0/artifacts/public/o`,
      request: { body: { storageType: 'object', contentType: 'x', expires: at(999) } },
    });
    expect(check('queue.resolve.after-artifacts', obs([claim(0, 600), o, entry('reportCompleted', 2)]))?.ok).toBe(
      false,
    );
  });
});

describe('queue.credentials.run-signed', () => {
  it('passes calls signed with the claim credentials', () => {
    expect(check('queue.credentials.run-signed', obs([claim(0, 600), entry('reportCompleted', 2)]))?.ok).toBe(true);
  });
  it('fails a call signed by the worker credentials', () => {
    expect(
      check('queue.credentials.run-signed', obs([claim(0, 600), entry('reportCompleted', 2, { clientId: 'worker' })]))
        ?.ok,
    ).toBe(false);
  });
});

describe('queue.claim.request-shape', () => {
  it('passes a well-formed claimWork', () => {
    expect(check('queue.claim.request-shape', obs([claim(0, 600)]))?.ok).toBe(true);
  });
  it('fails tasks outside 1..32 and a bad workerId', () => {
    const bad = claim(0, 600);
    bad.request.body = { workerGroup: 'g', workerId: 'has space', tasks: 40 };
    const r = check('queue.claim.request-shape', obs([bad]));
    expect(r?.ok).toBe(false);
    expect(r?.message).toMatch(/workerId/);
  });
});

describe('queue.artifact.request-schema', () => {
  it('fails contentEncoding in a createArtifact body', () => {
    const e = entry('createArtifact', 1, {
      request: { body: { storageType: 's3', contentType: 'text/plain', expires: at(9), contentEncoding: 'gzip' } },
    });
    expect(check('queue.artifact.request-schema', obs([e]))?.message).toMatch(/contentEncoding/);
  });
  it('passes an error artifact with exactly its properties', () => {
    const e = entry('createArtifact', 1, {
      request: { body: { storageType: 'error', expires: at(9), reason: 'file-missing-on-worker', message: 'gone' } },
    });
    expect(check('queue.artifact.request-schema', obs([e]))?.ok).toBe(true);
  });
});

const LOG = [
  '[taskcluster 2026-01-01T00:00:00.000Z] Worker Type (prov/wt) settings:',
  '[taskcluster 2026-01-01T00:00:00.000Z]   {}',
  `[taskcluster 2026-01-01T00:00:00.000Z] Task ID: ${T}`,
  '[taskcluster 2026-01-01T00:00:00.000Z] === Task Starting ===',
  "[taskcluster 2026-01-01T00:00:00.001Z] Executing command 0: /bin/bash -c 'exit 3'",
  '[taskcluster 2026-01-01T00:00:00.002Z]    Exit Code: 3',
  "[taskcluster 2026-01-01T00:00:00.003Z] Executing command 1: /bin/bash -c 'echo never'",
  '[taskcluster 2026-01-01T00:00:00.004Z] === Task Finished ===',
  '[taskcluster 2026-01-01T00:00:00.004Z] Task Duration: 4ms',
  '[taskcluster:error] exit status 3',
  '',
].join('\n');
const withLog = (log: string, trace: TraceEntry[] = []) =>
  obs(trace, { tasks: { [T]: { definition: { payload: {} }, status: {}, artifacts: [], log } } });

describe('logs.format.*', () => {
  it('accepts generic-worker prefixes and header', () => {
    expect(check('logs.format.info-prefix', withLog(LOG))?.ok).toBe(true);
    expect(check('logs.format.error-prefix', withLog(LOG))?.ok).toBe(true);
    expect(check('logs.format.header', withLog(LOG))?.ok).toBe(true);
    expect(check('logs.format.footer', withLog(LOG))?.ok).toBe(true);
  });
  it('rejects a timestamp without milliseconds, a timestamped error and a v11-style header for current', () => {
    expect(check('logs.format.info-prefix', withLog('[taskcluster 2026-01-01T00:00:00Z] hi\n'))?.ok).toBe(false);
    expect(check('logs.format.error-prefix', withLog('[taskcluster:error 2026-01-01T00:00:00.000Z] x\n'))?.ok).toBe(
      false,
    );
    expect(check('logs.format.header', withLog(LOG.replace('(prov/wt)', '(wt)')))?.ok).toBe(false);
  });
  it('is silent without a log', () => {
    expect(check('logs.format.info-prefix', obs([]))).toBeNull();
  });
});

describe('payload.command.exit-on-fail', () => {
  const failed = entry('reportFailed', 5);
  it('fails when a command ran after a failing one', () => {
    const r = check('payload.command.exit-on-fail', withLog(LOG, [claim(0, 600), failed]));
    expect(r?.ok).toBe(false);
    expect(r?.message).toMatch(/commands ran after command 0 failed/);
  });
  it('passes when the task stopped at the failure and was reported failed', () => {
    const log = LOG.split('\n')
      .filter((l) => !l.includes('Executing command 1'))
      .join('\n');
    expect(check('payload.command.exit-on-fail', withLog(log, [claim(0, 600), failed]))?.ok).toBe(true);
  });
});

describe('chain-of-trust.ed25519.signature', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-cot-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = (privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer).subarray(16);
  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, seed.toString('base64'));
  const cert = Buffer.from(JSON.stringify({ chainOfTrustVersion: 1 }));
  const withSig = (sig: Buffer) =>
    obs([], {
      config: { ed25519SigningKeyLocation: keyFile },
      tasks: {
        [T]: {
          definition: {},
          status: {},
          artifacts: [
            { runId: 0, name: 'public/chain-of-trust.json', storageType: 's3', body: cert },
            { runId: 0, name: 'public/chain-of-trust.json.sig', storageType: 's3', body: sig },
          ],
        },
      },
    });
  it('verifies a signature made with the configured key', () => {
    expect(check('chain-of-trust.ed25519.signature', withSig(sign(null, cert, privateKey)))?.ok).toBe(true);
  });
  it('rejects a signature over other bytes', () => {
    const r = check('chain-of-trust.ed25519.signature', withSig(sign(null, Buffer.from('other'), privateKey)));
    expect(r).toEqual({ ok: false, message: expect.stringContaining('does not verify') });
  });
});

describe('worker.exit-code.*', () => {
  const idleCase: CaseExpectation = { ...CASE, kind: 'worker', setup: { config: { idleTimeoutSecs: 2 } } };
  it('idle-timeout wants 68 from an idle worker', () => {
    expect(check('worker.exit-code.idle-timeout', obs([], { exitCode: 68 }), idleCase)?.ok).toBe(true);
    expect(check('worker.exit-code.idle-timeout', obs([], { exitCode: 0 }), idleCase)?.ok).toBe(false);
  });
  it('cant-load-config holds each generation to its own code', () => {
    const raw: CaseExpectation = { ...CASE, kind: 'worker', setup: { configRaw: '{' } };
    expect(check('worker.exit-code.cant-load-config', obs([], { exitCode: 64 }), raw)?.ok).toBe(true);
    const v11 = obs([], { exitCode: 64, profile: { name: 'gw', generation: 'v11' } });
    expect(check('worker.exit-code.cant-load-config', v11, raw)?.ok).toBe(false);
  });
});

describe('chain-of-trust.certificate.fields', () => {
  const cert = (o: object) =>
    obs([claim(0, 600)], {
      tasks: {
        [T]: {
          definition: {},
          status: {},
          artifacts: [
            { runId: 0, name: 'public/chain-of-trust.json', storageType: 's3', body: Buffer.from(JSON.stringify(o)) },
          ],
        },
      },
    });
  const good = {
    chainOfTrustVersion: 1,
    artifacts: { 'public/logs/certified.log': { sha256: 'a'.repeat(64) } },
    task: { payload: {} },
    taskId: T,
    runId: 0,
    workerGroup: 'g',
    workerId: 'w',
    environment: {},
  };
  it('accepts a certificate matching the schema and the claim', () => {
    expect(check('chain-of-trust.certificate.fields', cert(good))?.ok).toBe(true);
  });
  it('names schema violations and a foreign workerId', () => {
    const r = check('chain-of-trust.certificate.fields', cert({ ...good, chainOfTrustVersion: 2, workerId: 'other' }));
    expect(r?.ok).toBe(false);
    expect(r?.message).toMatch(/cot-certificate\.schema\.json: \/chainOfTrustVersion/);
    expect(r?.message).toMatch(/workerId other/);
  });
});

describe('features.supersede.url-verbatim', () => {
  const c: CaseExpectation = { ...CASE, task: { payload: { supersederUrl: 'http://127.0.0.1:1/superseder/abc' } } };
  const sup = (path: string) => entry('superseder', 1, { service: 'superseder', method: 'GET', path });
  it('passes the URL as given and fails an appended taskId', () => {
    expect(check('features.supersede.url-verbatim', obs([sup('/superseder/abc')]), c)?.ok).toBe(true);
    expect(check('features.supersede.url-verbatim', obs([sup('/superseder/abc?taskId=abc')]), c)?.ok).toBe(false);
  });
});

describe('payload.schema.* (payload-driven)', () => {
  const run = (payload: object, route: string, reason?: string) => {
    const c = claim(0, 600);
    (c.response.body as any).tasks[0].task = { payload };
    return obs([c, entry(route, 2, { request: { body: reason ? { reason } : undefined } })]);
  };
  it('wants malformed-payload for an unknown top-level property', () => {
    expect(
      check(
        'payload.schema.no-additional-properties',
        run({ command: [], maxRunTime: 1, bogus: 1 }, 'reportException', 'malformed-payload'),
      )?.ok,
    ).toBe(true);
    const r = check(
      'payload.schema.no-additional-properties',
      run({ command: [['true']], maxRunTime: 1, bogus: 1 }, 'reportCompleted'),
    );
    expect(r?.ok).toBe(false);
    expect(r?.message).toMatch(/unknown property bogus, yet resolved reportCompleted/);
  });
  it('is silent for a valid payload', () => {
    expect(
      check('payload.schema.max-run-time-bounds', run({ command: [['true']], maxRunTime: 5 }, 'reportCompleted')),
    ).toBeNull();
  });
});

describe('queue.resolve.cancel', () => {
  const canceled = (status: number) =>
    obs([claim(0, 600), entry('reportCompleted', 5, { status })], {
      tasks: {
        [T]: {
          definition: {},
          status: { runs: [{ runId: 0, state: 'exception', reasonResolved: 'canceled', resolved: at(3) }] },
          artifacts: [],
        },
      },
    });
  it('wants the report after a cancel refused with 409', () => {
    expect(check('queue.resolve.cancel', canceled(409))?.ok).toBe(true);
    expect(check('queue.resolve.cancel', canceled(200))?.ok).toBe(false);
    expect(check('queue.resolve.conflict-unless-running', canceled(200))?.ok).toBe(false);
  });
});

describe('artifacts.content-type.guessed / content-encoding.gzip-default', () => {
  const run = (contentType: string, contentEncoding?: string) => {
    const c = claim(0, 600);
    (c.response.body as any).tasks[0].task = {
      payload: { artifacts: [{ type: 'file', path: 'g.txt', name: 'public/g.txt' }] },
    };
    const made = entry('createArtifact', 1, {
      path: `/api/queue/v1/task/${T}/runs/0/artifacts/public/g.txt`,
      request: { body: { storageType: 's3', contentType, expires: at(999) } },
    });
    return obs([c, made, entry('reportCompleted', 2)], {
      tasks: {
        [T]: {
          definition: c.response.body && (c.response.body as any).tasks[0].task,
          status: {},
          artifacts: [{ runId: 0, name: 'public/g.txt', storageType: 's3', contentType, contentEncoding }],
        },
      },
    });
  };
  it("wants generic-worker's text/plain; charset=utf-8 for .txt", () => {
    expect(check('artifacts.content-type.guessed', run('text/plain; charset=utf-8'))?.ok).toBe(true);
    expect(check('artifacts.content-type.guessed', run('text/plain'))?.ok).toBe(false);
  });
  it('wants a text artifact gzipped', () => {
    expect(check('artifacts.content-encoding.gzip-default', run('text/plain', 'gzip'))?.ok).toBe(true);
    expect(check('artifacts.content-encoding.gzip-default', run('text/plain'))?.ok).toBe(false);
  });
});

describe('logs.format.exit-code-line', () => {
  const aborted = [
    '[taskcluster 2026-12-02T11:22:45.910Z] === Task Starting ===',
    "[taskcluster 2026-12-02T11:22:46.041Z] Executing command 0: /bin/bash -c 'echo started; sleep 20'",
    'started',
    '[taskcluster:error] Aborting task...',
    '[taskcluster 2026-12-02T11:22:48.041Z] === Task Finished ===',
    '[taskcluster:error] Task aborted - max run time exceeded',
    '',
  ].join('\n');
  const v11 = (log: string) => ({ ...withLog(log), profile: { name: 't', generation: 'v11' as const } });
  it('passes a result block after every command', () => {
    expect(
      check(
        'logs.format.exit-code-line',
        withLog(LOG.replace("'echo never'", "'true'\n[taskcluster 2026-01-01T00:00:00.003Z]    Exit Code: 0")),
      )?.ok,
    ).toBe(true);
  });
  it('fails a command without one, also when a later command has two', () => {
    expect(check('logs.format.exit-code-line', withLog(LOG))?.ok).toBe(false);
    const shifted = LOG.replace('[taskcluster 2026-01-01T00:00:00.002Z]    Exit Code: 3\n', '').replace(
      "'echo never'",
      "'echo never'\n[taskcluster 2026-01-01T00:00:00.003Z]    Exit Code: 3\n[taskcluster 2026-01-01T00:00:00.003Z]    Exit Code: 0",
    );
    expect(check('logs.format.exit-code-line', withLog(shifted))?.ok).toBe(false);
  });
  it("accepts 11.0.1's 'Aborting task...' for an aborted command of a v11 worker only (main.go ExecuteCommand)", () => {
    expect(check('logs.format.exit-code-line', v11(aborted))?.ok).toBe(true);
    expect(check('logs.format.exit-code-line', withLog(aborted))?.ok).toBe(false);
    expect(check('logs.format.exit-code-line', v11(aborted.replace('Aborting task...', 'Uploading')))?.ok).toBe(false);
  });
});

describe('queue.credentials.not-exposed and worker.config.secrets-masked look for every secret the runner knows', () => {
  const SEED = 'bXktZWQyNTUxOS1zZWVkLWZvci10aGUta2l0LXRlc3Q=';
  const secrets = [{ what: 'the ed25519 signing key', value: SEED }];
  const task = (log: string, artifacts: any[] = []) => ({
    [T]: { definition: { payload: {} }, status: {}, artifacts, log },
  });
  const base = { config: { accessToken: 'worker-token-0123456789', livelogSecret: 'livelog-secret-xyz' }, secrets };
  const env = (extra: string) => `ACCESS_TOKEN=S04OmbdYRMq3ureePfwe6g\nHOME=/root\n${extra}\n`;
  it("passes a task environment with 11.0.1's ACCESS_TOKEN (the published live-log GET token)", () => {
    const r = check('queue.credentials.not-exposed', obs([claim(0, 600)], { ...base, tasks: task(env('')) }));
    expect(r?.ok).toBe(true);
  });
  it.each([
    ['the run token', 'TOKEN=secret-token-123456'],
    ['the worker token', 'X=worker-token-0123456789'],
    ['the livelog secret', 'LIVELOG=livelog-secret-xyz'],
    ['the signing key', `KEY=${SEED}`],
  ])('fails a log holding %s, naming what leaked but not the value', (_, line) => {
    const r = check('queue.credentials.not-exposed', obs([claim(0, 600)], { ...base, tasks: task(env(line)) }));
    expect(r?.ok).toBe(false);
    expect(r?.message).not.toContain(line.split('=')[1]);
  });
  it('fails an artifact holding a secret', () => {
    const art = { runId: 0, name: 'public/env.txt', storageType: 's3', body: Buffer.from(`k=${SEED}`) };
    const r = check('queue.credentials.not-exposed', obs([claim(0, 600)], { ...base, tasks: task('ok', [art]) }));
    expect(r?.ok).toBe(false);
    expect(r?.message).toMatch(/artifact public\/env\.txt .* the ed25519 signing key/);
  });
  it('fails worker output holding a private key, passes one without', () => {
    expect(check('worker.config.secrets-masked', obs([], { ...base, stdout: `seed ${SEED}` }))?.ok).toBe(false);
    expect(check('worker.config.secrets-masked', obs([], { ...base, stdout: 'accessToken: ***' }))?.ok).toBe(true);
  });
});

describe('capacity.claim.free-slots-only', () => {
  // capacity 1: a call answered within the ms of its request starts its own run at the request's time.
  const config = { capacity: 1 };
  it('does not count the runs a claimWork call itself claimed as busy slots (answered in the same ms)', () => {
    const r = check('capacity.claim.free-slots-only', obs([{ ...claim(0, 60), durationMs: 0 }], { config }));
    expect(r?.ok, r?.message).toBe(true);
  });
  it('fails a claimWork asking for a slot another run still holds', () => {
    const second = { ...claim(5, 60), durationMs: 0 };
    const r = check('capacity.claim.free-slots-only', obs([claim(0, 60), second], { config }));
    expect(r?.ok).toBe(false);
    expect(r?.message).toMatch(/asked for 1 with 1 of 1 slots busy/);
  });
});
