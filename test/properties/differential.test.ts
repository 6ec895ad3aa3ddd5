// Differential run: the same generated tasks go to tc-worker and to generic-worker v106 (GENERIC_WORKER_BIN), each on
// its own mock Queue, and every disagreement on accept/reject or resolution is listed with its payload in
// reports/properties/differential.json. Each known kind of disagreement is classified in DIFFERENCES below (kit bug,
// reference-worker bug, or generic-worker divergence with its upstream file and function); an unclassified one fails
// the test. Without the binary it skips with one line (CI). PROPS_DIFF_CASES=<file> replays the disagreements of an
// earlier run (its differential.json) instead of generating tasks, their times moved to now.
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchArtifact, runWorker } from '../reference/harness.ts';
import { backingName, createAll, type Env, facts, type Judged, runState, startEnv } from './e2e.ts';
import { type Case, HOUR, stratified } from './generators.ts';
import { FULL, params, recorded, reportDir, runs } from './settings.ts';

const BIN = process.env.GENERIC_WORKER_BIN;
const usable = !!BIN && existsSync(BIN) && process.platform === 'linux';
if (!usable) console.log('differential: skipped (set GENERIC_WORKER_BIN to a generic-worker v106 binary, Linux)');

interface Outcome {
  ran: boolean | undefined;
  resolution: string;
  /** The log's error lines (what the worker said was wrong). */
  errors?: string;
}

/** A disagreement's class: what the two workers did, and why that is what it is. */
interface Difference {
  id: string;
  match: (d: { rules: string[]; mayFail: string[]; payload: any; ref: Outcome; gw: Outcome }) => boolean;
  kind: 'generic-worker divergence' | 'kit bug' | 'reference-worker bug';
  why: string;
}

/** Classified disagreements, from the differential runs recorded in README "Differential testing". */
const DIFFERENCES: Difference[] = [
  {
    id: 'gw-insecure-engine-features',
    kind: 'generic-worker divergence',
    match: (d) =>
      d.gw.resolution === 'exception/malformed-payload' &&
      // (no log to read when the payload turned the backing log off)
      (d.gw.errors === undefined ||
        /Additional property (chainOfTrust|runTaskAsCurrentUser) is not allowed/.test(d.gw.errors)) &&
      ['features.chainOfTrust', 'features.runTaskAsCurrentUser'].some((k) => {
        const [a, b] = k.split('.') as [string, string];
        return d.payload?.[a]?.[b] !== undefined;
      }),
    why: "v106's insecure engine schema (workers/generic-worker/schemas/insecure_posix.yml) has no features.chainOfTrust nor features.runTaskAsCurrentUser; multiuser_posix.yml has both, and tc-worker has one schema with them (spec payload.features.*): the insecure generic-worker refuses such a payload.",
  },
  {
    id: 'gw-insecure-schema-has-no-chain-of-trust',
    kind: 'generic-worker divergence',
    match: (d) =>
      d.payload?.features && 'chainOfTrust' in d.payload.features && d.gw.resolution === 'exception/malformed-payload',
    why: 'v106 insecure engine: schemas/insecure_posix.yml has no features.chainOfTrust (only multiuser_posix.yml does), so any payload naming it fails additionalProperties. tc-worker accepts the key on every engine and refuses chainOfTrust: true when tasks run as the worker user (chain-of-trust.key.not-readable-by-task).',
  },
  {
    id: 'gw-crashes-on-queue-400',
    kind: 'generic-worker divergence',
    match: (d) =>
      d.rules.some((r) =>
        [
          'artifacts.name.printable',
          'artifacts.content-type.valid',
          'payload.artifact-expiry.after-task-expiry',
        ].includes(r),
      ) &&
      d.ref.resolution === 'exception/malformed-payload' &&
      // running until the claim expires (claim-expired once it has, while a restarted worker serves the rest)
      ['running/', 'exception/claim-expired'].includes(d.gw.resolution),
    why: "generic-worker uploads the artifact, the Queue answers 400 (name not printable ASCII, expiry after the task's: generic-worker allows 1 s), and artifacts.go classifyCreateArtifactError panics: the worker process dies, the run stays running until claim expiry. tc-worker refuses the payload first.",
  },
  refusedFirst(
    'gw-exec-refuses-nul',
    ['payload.command.no-nul', 'payload.env.no-nul'],
    'generic-worker starts the command and Go\'s os/exec refuses a NUL in argv or env ("fork/exec /bin/sh: invalid argument"): failed/failed (payload.env.no-nul, payload.command.no-nul record it).',
  ),
  refusedFirst(
    'gw-exec-e2big',
    ['payload.command.size-limit', 'payload.env.size-limit'],
    'generic-worker starts the command and execve answers E2BIG ("fork/exec /bin/sh: argument list too long"): failed/failed.',
  ),
  refusedFirst(
    'gw-env-name-as-given',
    ['payload.env.valid-name'],
    'generic-worker passes the name to the process environment as given (an "=" in it makes another variable): the task runs.',
  ),
  refusedFirst(
    'gw-content-type-at-upload',
    ['artifacts.content-type.valid'],
    'generic-worker checks no content type before the commands: they run and the upload fails (or the artifact is missing).',
  ),
  refusedFirst(
    'gw-cache-names',
    ['mounts.cache.name-valid', 'mounts.cache.name-once'],
    'generic-worker takes an empty cache name (scope generic-worker:cache:) and gives each mount of one name its own directory from the pool (mounts_feature.go AcquireCache): the task runs.',
  ),
  refusedFirst(
    'gw-extracts-every-format',
    ['mounts.archive.supported-format'],
    'generic-worker tries every format of its schema (mholt/archiver): content that is not such an archive fails the run, and a non-rar body given as rar made v106 hang in extraction (the kit case mounts/archive/supported-format, killed after 60 s).',
  ),
  {
    id: 'gw-hangs-extracting-non-rar',
    kind: 'generic-worker divergence',
    match: (d) =>
      d.rules.includes('mounts.archive.supported-format') &&
      d.ref.resolution === 'exception/malformed-payload' &&
      ['running/', 'exception/claim-expired'].includes(d.gw.resolution) &&
      (d.payload.mounts as any[]).some((m) => m?.format === 'rar'),
    why: 'v106 blocks for good (no CPU, no progress) in "[mounts] Extracting rar file" when the content is not a rar archive; the run stays running (claim-expired once the kit kills the stuck worker) and the worker takes no further task. tc-worker refuses the rar format before anything runs (mounts.archive.supported-format).',
  },
  refusedFirst(
    'gw-mount-targets',
    ['mounts.target.inside-task-dir'],
    'generic-worker joins or takes mount paths as given (fileutil.AbsFrom in mounts_feature.go): an absolute one is used outside the task directory (completed), a NUL fails the rename (failed), the task directory itself ends internal-error.',
  ),
  {
    id: 'gw-mount-overlap-order',
    kind: 'generic-worker divergence',
    match: (d) =>
      d.mayFail.includes('mounts.target.overlap') &&
      [d.ref.resolution, d.gw.resolution].every(
        (r) =>
          r === 'completed/completed' ||
          r === 'failed/failed' ||
          // both start features in order, mounts before interactive (main.go's features list; tc-worker's
          // registration): the one whose mounts succeed goes on to refuse the interactive feature it lacks
          (r === 'exception/malformed-payload' && d.payload?.features?.interactive === true),
      ),
    why: 'Overlapping mounts (mounts.target.overlap allows failed; with features.interactive, which neither enables, the worker whose mounts went through then refuses it): the two workers place them differently. v106 mounts a file or cache into a directory another mount already made (completed) and fails after the commands when it cannot persist a cache whose parent went back first ("could not persist cache"); tc-worker fails before the commands when the path is taken.',
  },
  {
    id: 'gw-duplicate-upload-order',
    kind: 'generic-worker divergence',
    match: (d) =>
      d.mayFail.includes('artifacts.duplicate.conflicting-names') &&
      [d.ref.resolution, d.gw.resolution].every((r) =>
        ['completed/completed', 'exception/malformed-payload'].includes(r),
      ),
    why: 'Two file artifacts of one name that differ only in expiry (or in a guessed content type): the Queue lets a later upload extend the expiry and answers 409 to a shorter one (services/queue/src/api.js createArtifact), so the outcome depends on upload order. tc-worker uploads in payload order; v106 uploads up to 10 at once in sorted order (artifact_feature.go FindArtifacts). The oracle allows both (mayFail); statement artifacts.duplicate.conflicting-names records it.',
  },
  {
    id: 'gw-date-time-takes-full-date',
    kind: 'generic-worker divergence',
    match: (d) =>
      d.rules.includes('payload.schema.validated-first') &&
      (d.payload?.artifacts ?? []).some(
        (a: any) => typeof a?.expires === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(a.expires),
      ) &&
      d.ref.resolution === 'exception/malformed-payload' &&
      d.gw.resolution === 'completed/completed',
    why: 'artifacts[].expires "2026-01-01" (a date, no time): v106 validates format date-time with gojsonschema, whose DateTimeFormatChecker (format_checkers.go) also takes a bare full-date or time, and ran the task; tc-worker (ajv-formats, RFC 3339 date-time as the schema says) refuses it. Statement payload.artifact-expiry.parseable records it.',
  },
  {
    id: 'gw-directory-artifact-task-dir',
    kind: 'generic-worker divergence',
    match: (d) =>
      d.rules.every((r) => r === 'artifacts.name.printable') &&
      (d.payload?.artifacts ?? []).some((a: any) => a?.type === 'directory' && a.path === '' && !a.name) &&
      d.ref.resolution === 'exception/malformed-payload' &&
      d.gw.resolution === 'completed/completed',
    why: 'A directory artifact with path "" and no name: v106 publishes every file of the task directory under its relative path (artifact_feature.go FindArtifacts: filepath.Join(base.Name, relativePath) with an empty base name); tc-worker refuses the empty name (artifacts.name.printable, which records it).',
  },
  {
    id: 'gw-live-log-sigpipe',
    kind: 'generic-worker divergence',
    match: (d) =>
      d.rules.length === 0 &&
      d.payload?.features?.liveLog !== false &&
      d.ref.resolution === 'completed/completed' &&
      d.gw.resolution === 'failed/failed' &&
      d.gw.ran !== true &&
      (d.gw.errors === undefined || /exit status 141/.test(d.gw.errors)),
    why: 'A valid task with the live log on: v106 fails it with "exit status 141" (the first write to stdout gets SIGPIPE) and nothing in the backing log. livelog_feature.go updateTaskLogWriter writes task output through io.MultiWriter(liveLogWriter, backingLogFile), which stops at the first error of the live log stream, so os/exec closes the pipe and the task dies. Seen on 3 of 240 tasks under load, never on replay of the same payloads (the stream to the livelog process broke, see gw-stderr-*.log); tc-worker keeps the backing log whatever the live log does (logs.live.streams-while-running).',
  },
];

/** A rule tc-worker refuses before anything runs (malformed-payload) and generic-worker does not check. */
function refusedFirst(id: string, rules: string[], why: string): Difference {
  return {
    id,
    kind: 'generic-worker divergence',
    match: (d) =>
      d.rules.length > 0 &&
      d.rules.every((r) => rules.includes(r)) &&
      d.ref.resolution === 'exception/malformed-payload' &&
      !['exception/malformed-payload', 'running/', 'exception/claim-expired'].includes(d.gw.resolution),
    why,
  };
}

let ref: Env;
let gwEnv: Env;
const t0 = Date.now();
beforeAll(async () => {
  if (!usable) return;
  for (const f of existsSync(reportDir) ? readdirSync(reportDir) : [])
    if (/^gw-stderr-\d+\.log$/.test(f)) rmSync(join(reportDir, f));
  ref = await startEnv(t0);
  gwEnv = await startEnv(t0);
  // v106's insecure schema (schemas/insecure_posix.yml) has neither features.chainOfTrust nor
  // features.runTaskAsCurrentUser (multiuser_posix.yml has both): every payload naming one is refused there, which
  // would hide whatever else the two workers do with it (the disagreement it causes is classified below).
  ref.gen.omit = ['/features/chainOfTrust', '/features/runTaskAsCurrentUser'];
});
afterAll(async () => {
  await ref?.h.close();
  await gwEnv?.h.close();
});

async function outcomeOf(env: Env, j: Judged): Promise<Outcome> {
  const run = await runState(env.h, j.taskId).catch(() => ({ state: 'unknown', reasonResolved: undefined }));
  const name = backingName(j.c.payload);
  let ran: boolean | undefined;
  let errors: string | undefined;
  if (name) {
    // A worker that refuses the payload before reading payload.logs publishes its log under the default name.
    const log =
      (await fetchArtifact(env.h, j.taskId, 0, name).catch(() => undefined)) ??
      (await fetchArtifact(env.h, j.taskId, 0, 'public/logs/live_backing.log').catch(() => undefined));
    if (log?.body) {
      const text = log.body.toString('utf8');
      ran = /^KIT-ENV:/m.test(text);
      errors = text
        .split('\n')
        // Not the payload schema generic-worker prints (indented JSON), nor the probe's output.
        .filter(
          (l) =>
            /error|invalid|not allowed|must|fail/i.test(l) &&
            !l.startsWith('KIT-') &&
            !/^\[taskcluster:error\] ( {2}|[{}]$)/.test(l),
        )
        .join('\n')
        .slice(0, 800);
    }
  }
  return { ran, resolution: `${run.state}/${run.reasonResolved ?? ''}`, ...(errors ? { errors } : {}) };
}

function gwConfig(env: Env, n: number): Record<string, unknown> {
  const base = env.h.config({ numberOfTasksToRun: n });
  const port = 40_000 + Math.floor(Math.random() * 20_000);
  return {
    rootURL: base.rootURL,
    clientId: base.clientId,
    accessToken: base.accessToken,
    provisionerId: base.provisionerId,
    workerType: base.workerType,
    workerGroup: 'props',
    workerId: 'gw-props',
    tasksDir: base.tasksDir,
    cachesDir: base.cachesDir,
    downloadsDir: base.downloadsDir,
    ed25519SigningKeyLocation: env.keyFile,
    publicIP: '127.0.0.1',
    // generic-worker-runs/README.md: v106 refuses every task unless these three are on.
    enableLiveLog: true,
    enableResourceMonitor: true,
    enableMetadata: true,
    enableInteractive: false,
    enableTaskclusterProxy: false,
    enableOSGroups: true,
    sentryProject: '',
    requiredDiskSpaceMegabytes: 16,
    livelogPortBase: port,
    interactivePort: port + 2,
    taskclusterProxyPort: port + 3,
    numberOfTasksToRun: n,
    idleTimeoutSecs: 30,
    cleanUpTaskDirs: true,
  };
}

/** Resolutions that took effect on a mock so far (generic-worker's progress). */
const resolvedCount = (env: Env) =>
  env.h.mock.trace
    .entries()
    .filter((e) => e.status === 200 && ['reportCompleted', 'reportFailed', 'reportException'].includes(e.route)).length;

/** No task in the batch runs for long (commands are /bin/true and the like): a generic-worker that resolves nothing
 * for this long is stuck (v106 blocks for good extracting a body that is not a rar archive as rar). */
const STUCK_MS = 120_000;
let gwRuns = 0;

function runGw(env: Env, n: number): Promise<{ code: number | null; stderr: string; stuck?: boolean }> {
  const cfg = join(env.h.dir, 'gw.config');
  writeFileSync(cfg, JSON.stringify(gwConfig(env, n)));
  return new Promise((resolve) => {
    const child = spawn(BIN!, ['run', '--config', cfg], {
      cwd: env.h.dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PATH: `${dirname(BIN!)}:${process.env.PATH}` },
    });
    let err = '';
    // All of it on disk (what generic-worker said about a disagreement), the tail in memory for the report.
    mkdirSync(reportDir, { recursive: true });
    const full = createWriteStream(join(reportDir, `gw-stderr-${++gwRuns}.log`));
    child.stderr.on('data', (b) => {
      full.write(b);
      err = (err + b).slice(-20_000);
    });
    let stuck = false;
    let seen = resolvedCount(env);
    let since = Date.now();
    const watchdog = setInterval(() => {
      const now = resolvedCount(env);
      if (now !== seen) [seen, since] = [now, Date.now()];
      else if (Date.now() - since > STUCK_MS) {
        stuck = true;
        child.kill('SIGKILL');
      }
    }, 5_000);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000 + n * 20_000);
    child.on('exit', (code) => {
      full.end();
      clearTimeout(timer);
      clearInterval(watchdog);
      resolve({ code, stderr: err, ...(stuck ? { stuck } : {}) });
    });
  });
}

/** The cases of an earlier differential.json, their task times (and artifact expiries) moved to now. */
function replayed(file: string): Case[] {
  const entries = (JSON.parse(readFileSync(file, 'utf8')) as { disagreements: any[] }).disagreements;
  return entries.map((e) => {
    const shift = t0 - (Date.parse(e.task.deadline) - 2 * HOUR);
    const move = (t: string) => (Number.isNaN(Date.parse(t)) ? t : new Date(Date.parse(t) + shift).toISOString());
    // Served content moves with the mock: the same files, at this run's address.
    const payload = JSON.parse(
      JSON.stringify(e.payload).replace(
        /http:\/\/127\.0\.0\.1:\d+\/fixture-files\//g,
        `${ref.h.mock.rootUrl}/fixture-files/`,
      ),
    );
    for (const a of Array.isArray(payload?.artifacts) ? payload.artifacts : [])
      if (typeof a?.expires === 'string') a.expires = move(a.expires);
    // Scopes name the pool the case was made for (os-group scopes): this run's.
    const scopes = (e.task.scopes as string[]).map((x) =>
      x.replace(/^(generic-worker:os-group:[^/]+)\/[^/]+\//, `$1/${ref.h.workerType}/`),
    );
    const task = { ...e.task, scopes, deadline: move(e.task.deadline), expires: move(e.task.expires) };
    return { payload, task, intent: `replay:${e.intent}` };
  });
}

describe.skipIf(!usable)('differential: tc-worker and generic-worker v106 on the same payloads', () => {
  it('every disagreement is listed and classified', async () => {
    const n = FULL ? 120 : 40;
    const batches = runs(1, 2);
    const started = performance.now();
    const replay = process.env.PROPS_DIFF_CASES;
    const cases = replay
      ? replayed(replay)
      : fc.sample(fc.array(stratified(ref.gen), { minLength: n, maxLength: n }), params(batches)).flat();
    const w = facts(ref, { enableOSGroups: true, enableChainOfTrust: false });
    const a = await createAll(ref, cases, w, !!replay);
    // The scopes a case carries name the worker type it was generated for (os-group scopes): the same ones for the
    // other pool, so that both workers judge the same request.
    const forGw = cases.map((c) => ({
      ...c,
      task: {
        ...c.task,
        scopes: c.task.scopes.map((x) => x.replace(`/${ref.h.workerType}/`, `/${gwEnv.h.workerType}/`)),
      },
    }));
    const b = await createAll(gwEnv, forGw, { ...w, workerType: gwEnv.h.workerType }, !!replay);
    const r1 = await runWorker(
      ref.h,
      ref.h.config({
        numberOfTasksToRun: a.length,
        enableOSGroups: true,
        enableChainOfTrust: false,
        idleTimeoutSecs: 30,
      }),
      60_000 + a.length * 15_000,
    );
    // A generic-worker that crashes (or is stuck, and killed) leaves its claimed run running and the rest pending:
    // start another for the rest.
    let r2 = await runGw(gwEnv, b.length);
    const crashes: { code: number | null; stderr: string; stuck?: boolean }[] = [];
    for (let restart = 0; restart < 20 && r2.code !== 0; restart++) {
      crashes.push(r2);
      const pending = [];
      for (const j of b) if ((await runState(gwEnv.h, j.taskId)).state === 'pending') pending.push(j);
      if (pending.length === 0) break;
      r2 = await runGw(gwEnv, pending.length);
    }
    const list: unknown[] = [];
    const unclassified: unknown[] = [];
    for (const [i, j] of a.entries()) {
      const ro = await outcomeOf(ref, j);
      const go = await outcomeOf(gwEnv, b[i]!);
      if (ro.resolution === go.resolution && (ro.ran === go.ran || ro.ran === undefined || go.ran === undefined))
        continue;
      const rules = j.verdict.valid ? [] : j.verdict.broken.map((x) => x.rule);
      const mayFail = j.verdict.valid ? (j.verdict.mayFail ?? []) : [];
      const d = { rules, mayFail, payload: j.c.payload, ref: ro, gw: go };
      const cls = DIFFERENCES.find((x) => x.match(d));
      const entry = {
        intent: j.c.intent,
        oracle: j.verdict,
        ref: ro,
        gw: go,
        class: cls?.id ?? null,
        payload: j.c.payload,
        task: j.c.task,
      };
      list.push(entry);
      if (!cls) unclassified.push(entry);
    }
    mkdirSync(reportDir, { recursive: true });
    const file = join(reportDir, 'differential.json');
    writeFileSync(
      file,
      `${JSON.stringify({ tasks: a.length, refExit: r1.code, gwExit: r2.code, gwCrashes: crashes.map((c) => ({ code: c.code, stuck: !!c.stuck, stderrTail: c.stderr.slice(-2500) })), disagreements: list }, null, 2)}\n`,
    );
    recorded('differential-gw-v106', a.length, performance.now() - started, {
      disagreements: list.length,
      unclassified: unclassified.length,
    });
    expect(r1.code).toBe(0);
    expect(unclassified, `unclassified disagreements (see ${file})`).toEqual([]);
  }, 3_600_000);
});
