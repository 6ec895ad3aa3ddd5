// Runs one fixture case against one worker: write its config, create its tasks on the shared mock
// (on the case's own task queue tc-kit/<slug>), spawn the worker, drive signals, wait for it to exit
// within a bounded time, then observe and judge. The runner decides the verdict, never the worker.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import slugid from 'slugid';
import treeKill from 'tree-kill';
import { platformName, skipReason } from './cases.ts';
import { prepareHost, releaseHost, type SpawnOptions } from './fault-env.ts';
import { statementsFor } from './invariants.ts';
import { expectFor, judge } from './judge.ts';
import { LiveLogProbe } from './live-log-probe.ts';
import { caseTrace, observeTask } from './observe.ts';
import { freePortBlock, releasePorts } from './ports.ts';
import { commandFor, expandDeep, KIT_DIR } from './profiles.ts';
import type { HarnessQueue } from './queue-client.ts';
import type {
  CaseRecord,
  CheckRecord,
  FixtureCase,
  LoadedCase,
  Observation,
  ObservedTask,
  Profile,
  SignalStep,
  TaskExpectation,
  TraceEntry,
} from './types.ts';

export const PROVISIONER_ID = 'tc-kit';
export const WORKER_GROUP = 'tc-kit';
const DEFAULT_TIMEOUT_SECS = 60;
const DEFAULT_IDLE_TIMEOUT_SECS = 20;
const DEFAULT_DEADLINE_SECS = 60 * 60;
const MAX_OUTPUT = 1024 * 1024;
/** Consecutive loopback ports per case, as ${PORT:0}…${PORT:3} in config templates. */
const PORTS_PER_CASE = 4;

/** What every case of a run shares. */
export interface RunContext {
  profile: Profile;
  rootUrl: string;
  harness: HarnessQueue;
  /** The worker's static client (created on the mock with exactly the scopes a worker needs). */
  workerClient: { clientId: string; accessToken: string };
  /** The mock's trace: all entries so far. */
  trace: () => TraceEntry[];
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

/** workerType for a case: readable tail of the id plus a hash, within Taskcluster's 38 characters. */
export function caseSlug(id: string): string {
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 6);
  const tail = id
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(-29)
    .replace(/^-+/, '');
  return `k${hash}-${tail}`.replace(/-+$/, '');
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

interface CaseTaskPlan {
  alias: string;
  taskId: string;
  task: Record<string, unknown>;
  expect?: TaskExpectation;
}

function taskPlans(f: FixtureCase): CaseTaskPlan[] {
  const plans: CaseTaskPlan[] = [];
  // Dependencies first: `tasks` are listed in creation order; the main `task` comes last.
  for (const t of f.tasks ?? [])
    plans.push({ alias: t.alias, taskId: slugid.nice(), task: t.task ?? {}, expect: t.expect });
  if (f.task) {
    const payload = f.payloadByPlatform?.[platformName()];
    plans.push({ alias: 'main', taskId: slugid.nice(), task: payload ? { ...f.task, payload } : f.task });
  }
  return plans;
}

function taskDefinition(ctx: RunContext, f: FixtureCase, slug: string, plan: CaseTaskPlan, groupId: string): any {
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const given = plan.task;
  const deadlineSecs = f.setup?.queue?.deadlineSecs ?? DEFAULT_DEADLINE_SECS;
  return {
    provisionerId: PROVISIONER_ID,
    workerType: slug,
    taskQueueId: `${PROVISIONER_ID}/${slug}`,
    schedulerId: 'tc-kit',
    taskGroupId: groupId,
    created: iso(now),
    deadline: iso(now + deadlineSecs * 1000),
    expires: iso(now + 24 * 60 * 60_000),
    retries: 0,
    scopes: [],
    routes: [],
    dependencies: [],
    requires: 'all-completed',
    priority: 'lowest',
    tags: {},
    extra: {},
    ...given,
    metadata: {
      name: `${f.id}${plan.alias === 'main' ? '' : ` (${plan.alias})`}`,
      description: f.description,
      owner: 'tc-kit@example.com',
      source: `${ctx.rootUrl}/fixtures/${f.id}`,
      ...((given.metadata as object | undefined) ?? {}),
    },
  };
}

/** The worker config for a case: the profile's template, then the runner's defaults, then the case's overrides. */
export function caseConfig(
  profile: Profile,
  f: FixtureCase,
  vars: Record<string, string>,
  taskCount: number,
): Record<string, unknown> {
  const config: Record<string, unknown> = expandDeep(profile.configTemplate, vars, true);
  if (taskCount > 0) config.numberOfTasksToRun = taskCount;
  config.idleTimeoutSecs = DEFAULT_IDLE_TIMEOUT_SECS;
  for (const tag of f.requires ?? []) Object.assign(config, expandDeep(profile.configForRequires?.[tag] ?? {}, vars));
  for (const [k, v] of Object.entries(expandDeep(f.setup?.config ?? {}, vars))) {
    // null removes a key, so a case can leave out a required property.
    if (v === null) delete config[k];
    else config[k] = v;
  }
  return config;
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

/** Runs one case; never throws: problems of the harness end as an errored record. */
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
  const caseDir = join(ctx.runDir, 'cases', slug);
  const faultIds: unknown[] = [];
  const ports: number[] = [];
  try {
    await execute(ctx, lc, rec, slug, caseDir, workerIndex, faultIds, ports);
  } catch (err) {
    rec.outcome = 'errored';
    rec.reason = `runner: ${(err as Error).message}`;
  } finally {
    rec.durationMs = Date.now() - started;
    for (const id of faultIds) ctx.faults.remove?.(id);
    releasePorts(ports);
    releaseHost(caseDir);
    if (!ctx.keepDirs) rmSync(caseDir, { recursive: true, force: true, maxRetries: 3 });
  }
  return rec;
}

async function execute(
  ctx: RunContext,
  lc: LoadedCase,
  rec: CaseRecord,
  slug: string,
  caseDir: string,
  workerIndex: number,
  faultIds: unknown[],
  ports: number[],
): Promise<void> {
  const f = lc.fixture;
  const plans = taskPlans(f);
  const dirs = { TASKS_DIR: 'tasks', CACHES_DIR: 'caches', DOWNLOADS_DIR: 'downloads' };
  for (const d of Object.values(dirs)) mkdirSync(join(caseDir, d), { recursive: true });
  const configFile = join(caseDir, 'worker-config.json');
  const vars: Record<string, string> = {
    ROOT_URL: ctx.rootUrl,
    FILES_URL: `${ctx.rootUrl}/fixture-files/${slug}`,
    PROVISIONER_ID,
    WORKER_TYPE: slug,
    TASK_QUEUE_ID: `${PROVISIONER_ID}/${slug}`,
    WORKER_GROUP,
    WORKER_ID: `worker-${workerIndex}`,
    CLIENT_ID: ctx.workerClient.clientId,
    ACCESS_TOKEN: ctx.workerClient.accessToken,
    WORK_DIR: caseDir,
    TASKS_DIR: join(caseDir, dirs.TASKS_DIR),
    CACHES_DIR: join(caseDir, dirs.CACHES_DIR),
    DOWNLOADS_DIR: join(caseDir, dirs.DOWNLOADS_DIR),
    OPENPGP_KEY: ctx.keys.openpgp,
    ED25519_KEY: ctx.keys.ed25519,
    CONFIG: f.setup?.noConfigFile ? join(caseDir, 'no-such-config.json') : configFile,
    NODE: process.execPath,
    KIT: KIT_DIR,
  };
  for (const p of plans) vars[`TASK_ID:${p.alias}`] = p.taskId;
  // Host fixtures (sentinel, victims, markers, small filesystem): fault-env.ts.
  const host = prepareHost(f, caseDir, slug);
  Object.assign(vars, host.vars);
  host.setTaskIds(plans.map((p) => p.taskId));
  if (host.skip) {
    rec.reason = host.skip;
    return;
  }
  ports.push(...(await freePortBlock(PORTS_PER_CASE)));
  ports.forEach((port, i) => {
    vars[`PORT:${i}`] = String(port);
  });
  const main = plans.find((p) => p.alias === 'main') ?? plans[0];
  if (main) vars.TASK_ID = main.taskId;

  // Files the mock serves to this case under ${FILES_URL}.
  for (const [rel, content] of Object.entries(f.setup?.files ?? {})) {
    const target = join(ctx.filesDir, slug, rel);
    if (!target.startsWith(join(ctx.filesDir, slug))) throw new Error(`setup.files: path ${rel} leaves the files dir`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, fileContent(expandDeep(content, vars), rel));
  }

  const config = caseConfig(ctx.profile, f, vars, plans.length);
  if (!f.setup?.noConfigFile) {
    const raw = f.setup?.configRaw;
    writeFileSync(configFile, raw !== undefined ? expandDeep(raw, vars) : JSON.stringify(config, null, 2));
  }

  const taskIds = plans.map((p) => p.taskId);
  for (const rule of f.setup?.faults ?? []) {
    for (const scoped of scopeFault(expandDeep(rule, vars), slug, taskIds)) faultIds.push(ctx.faults.add(scoped));
  }
  for (const [alias, list] of Object.entries(f.setup?.supersedes ?? {})) {
    const id = vars[`TASK_ID:${alias}`];
    if (!id) throw new Error(`setup.supersedes: no task has the alias ${JSON.stringify(alias)}`);
    ctx.setSupersedes(id, expandDeep(list, vars));
  }

  // Before any task exists, so the first claim already gets the case's claim timeout.
  const claimTimeoutSecs = f.setup?.queue?.claimTimeoutSecs;
  if (claimTimeoutSecs !== undefined) {
    ctx.setClaimTimeout(`${PROVISIONER_ID}/${slug}`, claimTimeoutSecs);
  }

  const groupId = main?.taskId ?? slugid.nice();
  for (const p of plans) {
    const def = taskDefinition(ctx, f, slug, { ...p, task: expandDeep(p.task, vars) }, groupId);
    await ctx.harness.createTask(p.taskId, def);
  }

  const argv = commandFor(ctx.profile, vars, f.setup?.args ? expandDeep(f.setup.args, vars) : undefined);
  host.setWorker(configFile, ports);
  const extraEnv = expandDeep(f.setup?.env ?? {}, vars);
  const timeoutMs = (typeof f.timeoutSecs === 'number' ? f.timeoutSecs : DEFAULT_TIMEOUT_SECS) * 1000;
  const probe =
    f.setup?.liveLog && main
      ? new LiveLogProbe({
          setup: expandDeep(f.setup.liveLog, vars),
          workDir: caseDir,
          taskId: main.taskId,
          name: String((main.task.payload as any)?.logs?.live ?? 'public/logs/live.log'),
          trace: () => caseTrace(ctx.trace(), taskIds, slug),
          statelessDnsSecret: typeof config.livelogSecret === 'string' ? config.livelogSecret : undefined,
        })
      : undefined;
  probe?.start();
  const result = await host.runWorkers(
    (signals, opts) =>
      spawnWorker(
        ctx.live,
        argv.map((a) => (opts.config && a === opts.config[0] ? opts.config[1] : a)),
        extraEnv,
        caseDir,
        signals,
        timeoutMs,
        () => caseTrace(ctx.trace(), taskIds, slug),
        opts,
      ),
    expandDeep(f.setup?.signals ?? [], vars),
  );
  const liveLog = await probe?.finish();

  // The worker's wire trace: what it sent up to its exit, without the harness's own calls.
  const all = ctx.trace();
  const cutoff = all.length > 0 ? all[all.length - 1].seq : 0;
  const workerTrace = caseTrace(all, taskIds, slug).filter(
    (e) => e.seq <= cutoff && e.clientId !== ctx.harness.credentials.clientId,
  );
  const tasks: Record<string, ObservedTask> = {};
  for (const p of plans) tasks[p.taskId] = await observeTask(ctx.harness, p.taskId);
  const obs: Observation = {
    ...result,
    trace: workerTrace,
    tasks,
    config,
    profile: { name: ctx.profile.name, generation: ctx.profile.generation },
    platform: process.platform,
    aliases: Object.fromEntries(plans.map((p) => [p.alias, p.taskId])),
    ...(liveLog ? { liveLog } : {}),
    secrets: ctx.keys.secrets,
    host: host.observed(),
  };
  rec.observation = obs;
  rec.exitCode = obs.exitCode;
  rec.signal = obs.signal;

  const expect = expandDeep(expectFor(f, ctx.profile.generation), vars);
  const perTask: Record<string, TaskExpectation> = {};
  for (const p of plans) if (p.expect && p !== main) perTask[p.alias] = expandDeep(p.expect, vars);
  rec.expectFailures = judge(obs, expect, main?.taskId, perTask);

  // What checkers judge (spec/types.ts CaseExpectation): the case with its expect block resolved
  // for this generation and its placeholders substituted, plus alias -> taskId.
  const caseForCheckers = {
    ...f,
    kind: f.kind ?? (plans.length > 0 ? 'task' : 'worker'),
    task: main?.alias === 'main' ? expandDeep(main.task, vars) : f.task,
    tasks: f.tasks ? expandDeep(f.tasks, vars) : undefined,
    setup: f.setup ? expandDeep(f.setup, vars) : undefined,
    expect,
    taskIds: obs.aliases,
  };
  rec.checks = statementsFor(f).map((id) => runCheck(ctx, id, obs, caseForCheckers));
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

/** setup.files values: a string (UTF-8 text), {base64}, {text} or {json}. */
function fileContent(v: unknown, rel: string): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.base64 === 'string') return Buffer.from(o.base64, 'base64');
    if (typeof o.text === 'string') return Buffer.from(o.text, 'utf8');
    if (typeof o.content === 'string') return Buffer.from(o.content, 'utf8');
    if ('json' in o) return Buffer.from(JSON.stringify(o.json));
  }
  throw new Error(`setup.files[${JSON.stringify(rel)}]: expected a string or {base64 | text | json}`);
}

/**
 * Faults are confined to the case's own tasks and task queue, since one mock serves every case:
 * a rule naming no task gets a path condition on the case's slug or task ids (cancel rules, which
 * match on taskId only, become one rule per task).
 */
export function scopeFault(rule: unknown, slug: string, taskIds: string[]): unknown[] {
  if (!rule || typeof rule !== 'object' || Array.isArray(rule)) return [rule];
  const r = rule as Record<string, unknown>;
  if (r.taskId !== undefined) return [r];
  if (r.cancelAfterSeconds !== undefined) return taskIds.map((taskId) => ({ ...r, taskId }));
  const mine = `(?:${[slug, ...taskIds].join('|')})`;
  const path = typeof r.path === 'string' ? `^(?=[\\s\\S]*${mine})[\\s\\S]*?(?:${r.path})` : mine;
  return [{ ...r, path }];
}

interface SpawnResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

function spawnWorker(
  live: Set<ChildProcess>,
  argv: string[],
  extraEnv: Record<string, string>,
  cwd: string,
  signals: SignalStep[],
  timeoutMs: number,
  trace: () => TraceEntry[],
  opts: SpawnOptions = {},
): Promise<SpawnResult> {
  const env = { ...process.env };
  // The worker gets its credentials from its config only, never from the runner's environment.
  for (const k of Object.keys(env)) if (k.startsWith('TASKCLUSTER_')) delete env[k];
  Object.assign(env, extraEnv);
  const started = Date.now();
  const child = spawn(argv[0], argv.slice(1), {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  });
  live.add(child);
  const out = new Output();
  const err = new Output();
  child.stdout!.on('data', (c: Buffer) => out.add(c));
  child.stderr!.on('data', (c: Buffer) => err.add(c));
  const pending = signals.map((s) => ({ ...s, sent: false }));
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
      resolve({
        exitCode: code,
        signal: signal,
        stdout: out.value(),
        stderr: err.value(),
        durationMs: (exitedAt || Date.now()) - started,
        timedOut,
      });
    });
  });
}
