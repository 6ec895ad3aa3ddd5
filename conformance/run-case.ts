// Runs one fixture case against one worker, in four steps: resolve the case into a plan (plan.ts:
// config, files, faults, tasks, command, env, all placeholders expanded), execute it (put it on the
// shared mock on the case's own task queue tc-kit/<slug>, spawn the worker, drive signals, wait for
// it within a bounded time), observe, judge. The runner decides the verdict, never the worker.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import treeKill from 'tree-kill';
import { skipReason } from './cases.ts';
import { HostEnv, type SpawnOptions, type WorkerResult } from './fault-env.ts';
import { statementsFor } from './invariants.ts';
import { judge } from './judge.ts';
import { LiveLogProbe } from './live-log-probe.ts';
import { caseTrace, observeTask } from './observe.ts';
import { freePortBlock, releasePorts } from './ports.ts';
import { type CasePlan, caseDirOf, caseSlug, caseTaskIds, PlanError, resolvePlan } from './plan.ts';
import { PORTS_PER_CASE } from './placeholders.ts';
import type { HarnessQueue } from './queue-client.ts';
import { type WorkerRunnerDriver, workerRunnerFor } from './worker-runner.ts';
import type {
  CaseRecord,
  CheckRecord,
  LoadedCase,
  Observation,
  ObservedTask,
  Profile,
  SignalStep,
  TraceEntry,
} from './types.ts';
import type { ObservedLiveLog, ObservedWorkerRunner } from '../spec/types.ts';

const MAX_OUTPUT = 1024 * 1024;
/** Lines of the worker's output a failed case shows when the worker never reached the Queue. */
const TAIL_LINES = 12;

/** What every case of a run shares. */
export interface RunContext {
  profile: Profile;
  rootUrl: string;
  harness: HarnessQueue;
  /** The worker's static client (created on the mock with exactly the scopes a worker needs). */
  workerClient: { clientId: string; accessToken: string };
  /** The mock's trace: the entries after `since` (a seq; 0 for all), in order. */
  trace: (since?: number) => TraceEntry[];
  /** The seq of the mock's newest trace entry. */
  traceLast: () => number;
  faults: { add(rule: unknown): unknown; remove?(id: unknown): unknown };
  /** Sets the claim timeout of one task queue (setup.queue.claimTimeoutSecs). */
  setClaimTimeout: (taskQueueId: string, seconds: number) => void;
  /** Configures the mock's superseder stub for a task (setup.supersedes). */
  setSupersedes: (taskId: string, supersedes: string[]) => void;
  runDir: string;
  filesDir: string;
  keys: { openpgp: string; ed25519: string; secrets?: Array<{ what: string; value: string }> };
  statements: Map<string, StatementLike>;
  keepDirs: boolean;
  /** Workers running now, so an interrupted run can take them down with it. */
  live: Set<ChildProcess>;
}

export interface StatementLike {
  id: string;
  area?: string;
  level?: string;
  text?: string;
  source?: string[];
  generations?: string[];
  check?: (obs: any, c: any) => { ok: boolean; message: string } | null;
}

export function areaOf(id: string): string {
  return id.split('/')[0] ?? id;
}

function baseRecord(lc: LoadedCase): CaseRecord {
  const f = lc.fixture;
  return {
    id: f.id,
    description: f.description,
    file: lc.file,
    area: areaOf(f.id),
    statements: f.statements,
    level: f.level,
    outcome: 'skipped',
    status: 'skipped',
    expected: 'pass',
    durationMs: 0,
    expectFailures: [],
    checks: [],
  };
}

/** Every descendant of `pid` (POSIX, from one `ps` snapshot); tasks may sit in their own process groups. */
function descendants(pid: number): number[] {
  let table = '';
  try {
    table = execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'ppid='], { encoding: 'utf8', timeout: 5000 });
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const line of table.split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (Number.isInteger(p) && Number.isInteger(pp)) children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < 10_000) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** After the worker exited: whatever is left in its process group (which lives while members do). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || process.platform === 'win32') return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
}

/**
 * Kills a running worker and everything it started, synchronously: its descendants (task processes may
 * lead process groups of their own) and its own process group.
 */
export function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  if (process.platform === 'win32') {
    treeKill(child.pid, signal);
    return;
  }
  for (const pid of descendants(child.pid)) {
    try {
      process.kill(pid, signal);
    } catch {}
  }
  try {
    process.kill(-child.pid, signal); // the worker leads its own process group (detached)
  } catch {}
  try {
    process.kill(child.pid, signal);
  } catch {}
}

class Output {
  text = '';
  dropped = 0;
  add(chunk: Buffer): void {
    this.text += chunk.toString('utf8');
    // Keep the tail: the end of a worker's output says why it stopped.
    if (this.text.length > MAX_OUTPUT) {
      this.dropped += this.text.length - MAX_OUTPUT;
      this.text = this.text.slice(-MAX_OUTPUT);
    }
  }
  value(): string {
    return this.dropped ? `[… ${this.dropped} characters dropped …]\n${this.text}` : this.text;
  }
}

function signalDue(step: SignalStep, startedAt: number, output: string, trace: TraceEntry[]): boolean {
  if (step.whenFile !== undefined && !existsSync(step.whenFile)) return false;
  if (step.afterMs !== undefined && Date.now() - startedAt < step.afterMs) return false;
  if (step.whenLogContains !== undefined && !output.includes(step.whenLogContains)) return false;
  if (
    step.whenRoute !== undefined &&
    !trace.some((e) => e.route === step.whenRoute && e.status >= 200 && e.status < 300)
  )
    return false;
  return true;
}

/** A signal step as the fixture gives it, e.g. `setup.signals[0] (SIGKILL whenFile /…/markers/started)`. */
function describeStep(step: SignalStep & { index: number }): string {
  const { signal, afterMs, whenLogContains, whenRoute, whenFile } = step;
  const conditions = Object.entries({ afterMs, whenLogContains, whenRoute, whenFile })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${k === 'whenLogContains' ? JSON.stringify(v) : v}`);
  return `setup.signals[${step.index}] (${[signal, ...conditions].join(' ')})`;
}

/**
 * Runs one case; never throws: problems of the harness end as an errored record. The steps are
 * separate: resolve the plan (plan.ts), execute it (spawn the worker on the prepared mock), observe
 * (the Queue's view and the worker's trace), judge (expect block and checkers).
 */
export async function runCase(ctx: RunContext, lc: LoadedCase, workerIndex: number): Promise<CaseRecord> {
  const rec = baseRecord(lc);
  const f = lc.fixture;
  if (lc.invalid) {
    rec.outcome = 'errored';
    rec.reason = `fixture ${lc.file}: ${lc.invalid}`;
    return rec;
  }
  const skip = skipReason(f, ctx.profile);
  if (skip) {
    rec.reason = skip;
    return rec;
  }
  const started = Date.now();
  const slug = caseSlug(f.id);
  const caseDir = caseDirOf(ctx.runDir, slug);
  const faultIds: unknown[] = [];
  const ports: number[] = [];
  let host: HostEnv | undefined;
  try {
    ports.push(...(await freePortBlock(PORTS_PER_CASE)));
    // Host fixtures (sentinel, victims, markers, a small filesystem): fault-env.ts, before the plan, whose
    // placeholders they add to; the task ids first, for the scan of task processes.
    const taskIds = caseTaskIds(f);
    mkdirSync(caseDir, { recursive: true });
    host = new HostEnv(f, caseDir, slug);
    host.setTaskIds(taskIds.map((t) => t.taskId));
    if (host.skip) {
      rec.reason = host.skip;
      return rec;
    }
    // setup.workerRunner: the kit plays worker-runner on the worker's stdin/stdout (conformance/worker-runner.ts).
    const runner = workerRunnerFor(f.setup);
    const runnerVars = runner?.clients(slug) ?? {};
    let plan: CasePlan;
    try {
      plan = resolvePlan(ctx, lc, { workerIndex, ports, taskIds, extraVars: { ...host.vars, ...runnerVars } });
    } catch (err) {
      if (!(err instanceof PlanError)) throw err;
      rec.outcome = 'errored';
      rec.reason = `fixture ${lc.file}: ${err.message}`;
      return rec;
    }
    // Nothing of this case is in the trace yet: its reads start here, not at the run's first entry (a case
    // polls its trace while the worker runs, and the whole run's trace grows to tens of thousands of entries).
    const fromSeq = ctx.traceLast();
    const run = await execute(ctx, plan, faultIds, host, runner, fromSeq);
    const obs = await observe(ctx, plan, run, host, fromSeq);
    rec.observation = obs;
    rec.exitCode = obs.exitCode;
    rec.signal = obs.signal;
    judgeCase(ctx, lc, plan, obs, rec);
  } catch (err) {
    rec.outcome = 'errored';
    rec.reason = `runner: ${(err as Error).message}`;
  } finally {
    rec.durationMs = Date.now() - started;
    for (const id of faultIds) ctx.faults.remove?.(id);
    releasePorts(ports);
    host?.release();
    // Not rmSync: removing a task tree on the event loop held up the mock's answers to the other lanes.
    if (!ctx.keepDirs) await rm(caseDir, { recursive: true, force: true, maxRetries: 3 });
  }
  return rec;
}

interface Executed {
  result: WorkerResult;
  liveLog?: ObservedLiveLog;
  workerRunner?: ObservedWorkerRunner;
}

/** Puts the plan in place (dirs, files, config, faults, Queue settings, tasks), then runs the worker. */
async function execute(
  ctx: RunContext,
  plan: CasePlan,
  faultIds: unknown[],
  host: HostEnv,
  runner: WorkerRunnerDriver | undefined,
  fromSeq: number,
): Promise<Executed> {
  for (const d of plan.dirs) mkdirSync(d, { recursive: true });
  for (const file of plan.files) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.content);
  }
  if (plan.configFile) writeFileSync(plan.configFile.path, plan.configFile.text);
  for (const rule of plan.faults) faultIds.push(ctx.faults.add(rule));
  for (const s of plan.supersedes) ctx.setSupersedes(s.taskId, s.supersedes);
  // Before any task exists, so the first claim already gets the case's claim timeout.
  if (plan.claimTimeout) ctx.setClaimTimeout(plan.claimTimeout.taskQueueId, plan.claimTimeout.seconds);
  for (const t of plan.tasks) await ctx.harness.createTask(t.taskId, t.definition);

  const trace = () => caseTrace(ctx.trace(fromSeq), taskIdsOf(plan), plan.slug);
  host.setWorker(plan.configFile?.path ?? join(plan.caseDir, 'worker-config.json'), plan.ports);
  const probe = plan.liveLog
    ? new LiveLogProbe({
        setup: plan.liveLog.setup,
        workDir: plan.caseDir,
        taskId: plan.liveLog.taskId,
        name: plan.liveLog.name,
        trace,
        statelessDnsSecret: typeof plan.config.livelogSecret === 'string' ? plan.config.livelogSecret : undefined,
      })
    : undefined;
  probe?.start();
  await runner?.prepare(ctx.rootUrl, ctx.harness.credentials, plan.vars);
  const argv = runner ? [...plan.argv, '--with-worker-runner'] : plan.argv; // as worker-runner starts generic-worker
  // Once, or twice for setup.host.restart (fault-env.ts), the second time maybe with another config.
  const result = await host.runWorkers(
    (signals, opts) =>
      spawnWorker(
        ctx.live,
        argv.map((a) => (opts.config && a === opts.config[0] ? opts.config[1] : a)),
        plan.env,
        plan.caseDir,
        signals,
        plan.timeoutMs,
        trace,
        runner ? { ...opts, attach: (child) => runner.attach(child, trace) } : opts,
      ),
    plan.signals,
    plan.alongsideWhenFile,
  );
  const liveLog = await probe?.finish();
  return { result, liveLog, workerRunner: await runner?.observation() };
}

const taskIdsOf = (plan: CasePlan) => plan.tasks.map((t) => t.taskId);

/** The Observation (decisions/0001): the worker's run, its own slice of the trace, the Queue's view of each task. */
async function observe(
  ctx: RunContext,
  plan: CasePlan,
  run: Executed,
  host: HostEnv,
  fromSeq: number,
): Promise<Observation> {
  // The worker's wire trace: what it sent up to its exit, without the harness's own calls.
  const all = ctx.trace(fromSeq);
  const cutoff = all.length > 0 ? all[all.length - 1].seq : 0;
  const workerTrace = caseTrace(all, taskIdsOf(plan), plan.slug).filter(
    (e) => e.seq <= cutoff && e.clientId !== ctx.harness.credentials.clientId,
  );
  const tasks: Record<string, ObservedTask> = {};
  for (const t of plan.tasks) tasks[t.taskId] = await observeTask(ctx.harness, t.taskId);
  return {
    ...run.result,
    trace: workerTrace,
    tasks,
    config: plan.config,
    profile: { name: ctx.profile.name, generation: ctx.profile.generation },
    platform: process.platform,
    aliases: Object.fromEntries(plan.tasks.map((t) => [t.alias, t.taskId])),
    ...(run.liveLog ? { liveLog: run.liveLog } : {}),
    ...(run.workerRunner ? { workerRunner: run.workerRunner } : {}),
    secrets: ctx.keys.secrets,
    host: host.observed(),
  };
}

/** The verdict: the expect block (judge.ts), then each statement's checker (with the catalogues' invariants). */
function judgeCase(ctx: RunContext, lc: LoadedCase, plan: CasePlan, obs: Observation, rec: CaseRecord): void {
  rec.expectFailures = judge(obs, plan.expect, plan.mainTaskId, plan.perTask);
  const caseForCheckers = { ...plan.caseForCheckers, taskIds: obs.aliases };
  rec.checks = statementsFor(lc.fixture).map((id) => runCheck(ctx, id, obs, caseForCheckers));
  const broken = rec.checks.find((c) => c.ok === false && c.message.startsWith('checker threw'));
  const unknown = rec.checks.find((c) => c.ok === false && c.message.startsWith('unknown statement'));
  if (unknown || broken) {
    rec.outcome = 'errored';
    rec.reason = `${(unknown ?? broken)!.statement}: ${(unknown ?? broken)!.message}`;
  } else if (rec.expectFailures.length > 0 || rec.checks.some((c) => c.ok === false)) {
    rec.outcome = 'fail';
    const firstCheck = rec.checks.find((c) => c.ok === false);
    rec.reason = rec.expectFailures[0] ?? `${firstCheck!.statement}: ${firstCheck!.message}`;
  } else {
    rec.outcome = 'pass';
  }
  // A worker that never reached the Queue usually says why on its way out.
  if (rec.outcome !== 'pass' && obs.trace.length === 0) rec.workerOutputTail = outputTail(obs);
}

function outputTail(obs: Observation): string[] | undefined {
  const text = obs.stderr.trim() ? obs.stderr : obs.stdout;
  const lines = text.trimEnd().split('\n');
  if (lines.length === 1 && lines[0] === '') return undefined;
  return lines.slice(-TAIL_LINES).map((l) => (l.length > 200 ? `${l.slice(0, 200)}…` : l));
}

function runCheck(ctx: RunContext, id: string, obs: Observation, c: unknown): CheckRecord {
  const st = ctx.statements.get(id);
  if (!st) return { statement: id, ok: false, message: 'unknown statement id (not in spec/)' };
  if (st.generations && !st.generations.includes(ctx.profile.generation))
    return { statement: id, ok: null, message: `not applicable to generation ${ctx.profile.generation}` };
  if (!st.check) return { statement: id, ok: null, message: 'no checker: judged by the expect block only' };
  try {
    const r = st.check(obs, c);
    if (r === null) return { statement: id, ok: null, message: 'not applicable to this observation' };
    return { statement: id, ok: r.ok, message: r.message };
  } catch (err) {
    return { statement: id, ok: false, message: `checker threw: ${(err as Error).message}` };
  }
}

function spawnWorker(
  live: Set<ChildProcess>,
  argv: string[],
  extraEnv: Record<string, string>,
  cwd: string,
  signals: SignalStep[],
  timeoutMs: number,
  trace: () => TraceEntry[],
  opts: SpawnOptions & { attach?: (child: ChildProcess) => void } = {},
): Promise<WorkerResult> {
  const env = { ...process.env };
  // The worker gets its credentials from its config only, never from the runner's environment.
  for (const k of Object.keys(env)) if (k.startsWith('TASKCLUSTER_')) delete env[k];
  Object.assign(env, extraEnv);
  const started = Date.now();
  const child = spawn(argv[0], argv.slice(1), {
    cwd,
    env,
    // setup.workerRunner: stdin is the runner's end of the protocol.
    stdio: [opts.attach ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  });
  live.add(child);
  opts.attach?.(child);
  const out = new Output();
  const err = new Output();
  child.stdout!.on('data', (c: Buffer) => out.add(c));
  child.stderr!.on('data', (c: Buffer) => err.add(c));
  const pending = signals.map((s, i) => ({ ...s, index: i, sent: false }));
  let timedOut = false;
  return new Promise((resolve) => {
    let spawnError: Error | undefined;
    const poll = setInterval(() => {
      for (const s of pending) {
        if (s.sent || !signalDue(s, started, out.text + err.text, trace())) continue;
        s.sent = true;
        // Only the worker process, as an operator's kill would: the worker decides what its tasks get.
        child.kill(s.signal as NodeJS.Signals);
      }
    }, 100);
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      spawnError = e;
    });
    let exitedAt = 0;
    let grace: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      opts.onExit?.();
      exitedAt = Date.now();
      live.delete(child);
      clearTimeout(timer);
      // A process the worker left behind may hold its stdout open; 'close' must not wait for it.
      grace = setTimeout(() => {
        if (!opts.keepGroup) killGroup(child);
        // A killed worker's orphans may hold its pipes: stop reading them instead of killing them.
        else for (const s of [child.stdout, child.stderr]) s?.destroy();
      }, 2000);
    });
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      clearTimeout(grace);
      // Anything the worker left running in its process group goes too: nothing outlives a case.
      // Only the group: the worker's own pid is reaped by now and may already belong to someone else.
      if (!opts.keepGroup) killGroup(child);
      if (spawnError) err.add(Buffer.from(`\n[tc-kit] could not start ${argv[0]}: ${spawnError.message}\n`));
      const ended = timedOut ? "the runner killed the worker at the case's timeout" : 'the worker exited';
      resolve({
        exitCode: code,
        signal: signal,
        stdout: out.value(),
        stderr: err.value(),
        durationMs: (exitedAt || Date.now()) - started,
        timedOut,
        signalsNotSent: pending.filter((s) => !s.sent).map((s) => `${describeStep(s)} was not sent before ${ended}`),
      });
    });
  });
}
