// The payload properties through the reference worker's public behaviour: batches of generated tasks (valid, one
// schema constraint broken, one further rule broken, in equal shares) go through the mock Queue on loopback to one
// real `tc-worker run` per batch, and every run is judged against the oracle:
//   1. valid → the commands ran and the run completed; invalid → exception/malformed-payload, the log names the rule;
//   2. every claimed run resolved exactly once, never internal-error; the worker served the whole batch and exited 0,
//      leaving no process and no task directory behind;
//   3. env values reach the commands byte for byte; artifacts are created with their names, content types, expiries
//      and content; file mounts and read-only directories hold what the payload said.
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchArtifact, runWorker } from '../reference/harness.ts';
import {
  backingName,
  batchArb,
  conflictNamed,
  createAll,
  deliveredAsSpecified,
  type Env,
  facts,
  type Judged,
  logNames,
  processesIn,
  resolutions,
  runState,
  startEnv,
} from './e2e.ts';
import { check, FULL, keepCounterexample, runs } from './settings.ts';

const posix = process.platform === 'linux' || process.platform === 'darwin';
const BATCH = FULL ? 40 : 14;
const numRuns = runs(1, 8);
/** A worker's budget for one batch; the property's whole budget follows from it. */
const perRunMs = 30_000 + BATCH * 15_000;
const shrinkMs = 120_000;
/** The test's timeout: the runs, one shrink step in flight past the shrink budget, and a minute to spare. */
const testTimeoutMs = (numRuns + 1) * perRunMs + shrinkMs + 60_000;

interface Failure {
  batch: Judged[];
  problems: Record<string, string[]>;
  worker: string;
  /** When it was found: the first failure's time starts the shrink budget. */
  at: number;
}

/** A failure as kept on disk: its problems and the generated cases that have one. */
function kept(fail: Failure) {
  const bad = fail.batch.filter((j) => fail.problems[j.taskId]);
  return {
    problems: fail.problems,
    cases: bad.map((j) => ({ verdict: j.verdict, task: j.c.task, payload: j.c.payload })),
  };
}

let env: Env;
beforeAll(async () => {
  if (posix) env = await startEnv(Date.now());
});
afterAll(async () => {
  await env?.h.close();
});

/** Judges one run; returns what is wrong with it (empty: all three properties hold). */
async function judgeRun(j: Judged): Promise<string[]> {
  const { h } = env;
  const problems: string[] = [];
  const res = resolutions(h, j.taskId);
  if (res.length !== 1) problems.push(`resolved ${res.length} times: ${res.join(', ')}`);
  const run = await runState(h, j.taskId);
  const outcome = `${run.state}/${run.reasonResolved}`;
  if (run.reasonResolved === 'internal-error') problems.push('resolved exception/internal-error');
  const logName = backingName(j.c.payload);
  let log: string | undefined;
  if (logName) {
    try {
      const a = await fetchArtifact(h, j.taskId, 0, logName);
      log = a.body?.toString('utf8');
    } catch (e) {
      problems.push(`no task log ${logName}: ${(e as Error).message}`);
    }
  }
  const ran = log === undefined ? undefined : /^KIT-ENV:/m.test(log);
  const mayFail = j.verdict.mayFail ?? [];
  const p = j.c.payload;
  if (mayFail.includes('mounts.target.overlap') && outcome === 'failed/failed') {
    // Overlapping mounts: one could not be placed (mounts.target.overlap); the commands must not have run.
    if (ran) problems.push('a mount failed, yet the commands ran');
    if (log !== undefined && !/already exists|cannot mount/.test(log))
      problems.push('the log does not say which mount failed');
  } else if (mayFail.includes('artifacts.duplicate.conflicting-names') && outcome === 'exception/malformed-payload') {
    // Artifacts of one name the oracle cannot tell compatible or not: a conflict is found after the commands.
    if (ran === false) problems.push('an upload conflict, yet the commands did not run');
    const names = (p.artifacts as any[]).map((a) => a.name || a.path);
    if (log !== undefined && !names.some((n, i) => names.indexOf(n) !== i && conflictNamed(log!, n)))
      problems.push('the log does not name the conflicting artifact');
  } else if (!j.verdict.valid && j.verdict.broken[0]!.stage === 'upload') {
    // The Queue refuses the second artifact of one name: the commands ran, then malformed-payload naming it.
    if (outcome !== 'exception/malformed-payload') problems.push(`upload conflict resolved ${outcome}`);
    if (ran === false) problems.push('an upload conflict, yet the commands did not run');
    if (log !== undefined && !logNames(log, j.verdict.broken, p))
      problems.push(`the log does not name the conflicting artifact (${JSON.stringify(j.verdict.broken)})`);
  } else if (j.verdict.valid) {
    if (outcome !== 'completed/completed') problems.push(`valid payload resolved ${outcome}`);
    if (ran === false) problems.push('valid payload: the commands did not run');
    if (log !== undefined && outcome === 'completed/completed')
      problems.push(...(await deliveredAsSpecified(env, j, log)));
  } else {
    if (outcome !== 'exception/malformed-payload')
      problems.push(`invalid (${j.verdict.broken.map((b) => b.rule).join(', ')}) resolved ${outcome}`);
    if (ran) problems.push('invalid payload: the commands ran');
    if (log !== undefined && !logNames(log, j.verdict.broken, p))
      problems.push(`the log does not name the broken rule (${JSON.stringify(j.verdict.broken.slice(0, 3))})`);
  }
  return problems;
}

describe.skipIf(!posix)('generated payloads through tc-worker', () => {
  it(
    'every run agrees with the oracle, is resolved once and delivers what the payload says',
    async () => {
      let failure: Failure | undefined;
      // Shrinking can drift to another failure than the one first found: both are reported.
      let first: Failure | undefined;
      const seen: Record<string, number> = {};
      let tasks = 0;
      try {
        await check(
          'reference-e2e',
          fc.asyncProperty(batchArb(env, BATCH), async ([f, cases]) => {
            // Shrinking: a batch keeps its length (it shrinks task by task) and every step is a worker run of the
            // whole batch. After shrinkMs of it the remaining candidates are not run (counted as passing), so the
            // smallest failure found by then is the one reported; the property has failed either way.
            if (first && Date.now() - first.at > shrinkMs) return true;
            const w = facts(env, f);
            const batch = await createAll(env, cases, w);
            tasks += batch.length;
            const cfg = env.h.config({
              numberOfTasksToRun: batch.length,
              enableOSGroups: w.enableOSGroups,
              enableChainOfTrust: w.enableChainOfTrust,
              enableTaskclusterProxy: false,
              ed25519SigningKeyLocation: env.keyFile,
              idleTimeoutSecs: 30,
            });
            const r = await runWorker(env.h, cfg, perRunMs);
            const problems: Record<string, string[]> = {};
            if (r.code !== 0) problems.worker = [`worker exited ${r.code} (${r.signal}): ${r.stderr.slice(-2000)}`];
            for (const j of batch) {
              const k = j.verdict.valid
                ? 'valid'
                : j.verdict.broken[0]!.stage === 'schema'
                  ? 'schema'
                  : j.verdict.broken[0]!.rule;
              seen[k] = (seen[k] ?? 0) + 1;
              const p = await judgeRun(j);
              if (p.length) problems[j.taskId] = p;
            }
            const tasksDir = String(cfg.tasksDir);
            const left = readdirSync(tasksDir).filter((d) => d.startsWith('task_'));
            if (left.length) problems.files = [`task directories left in ${tasksDir}: ${left.join(', ')}`];
            const procs = processesIn(tasksDir);
            if (procs.length) problems.processes = [`processes still running in ${tasksDir}: ${procs.join(', ')}`];
            if (Object.keys(problems).length) {
              failure = { batch, problems, worker: r.stderr.slice(-4000), at: Date.now() };
              first ??= failure;
              return false;
            }
            return true;
          }),
          numRuns,
          { endOnFailure: false, maxSkipsPerRun: 0 },
        );
      } catch (e) {
        if (failure) {
          const file = keepCounterexample('payload/properties/reference-e2e', {
            ...kept(failure),
            firstFailure: { ...kept(first!), worker: first!.worker },
          });
          const firstNote =
            first === failure
              ? ''
              : `\nfirst failure, before shrinking:\n${JSON.stringify(first!.problems, null, 2).slice(0, 4000)}`;
          throw new Error(
            `${(e as Error).message}\n${JSON.stringify(failure.problems, null, 2).slice(0, 6000)}${firstNote}\nshrunk batch kept in ${file}`,
          );
        }
        throw e;
      } finally {
        console.log(`[properties] reference-e2e: ${tasks} tasks, strata ${JSON.stringify(seen)}`);
      }
      expect(tasks).toBeGreaterThan(0);
    },
    testTimeoutMs,
  );
});
