// The Queue's state machine: tasks, runs, claims, takenUntil, retries, deadlines, artifacts.
// No HTTP here. The clock is injected; every public call first applies what is due at `now()`, so a
// claim is expired exactly at takenUntil whatever a timer did (the real claim resolver polls every 5 s).
import { EventEmitter } from 'node:events';
import slugid from 'slugid';
import type { Credentials } from '../auth.ts';
import { conflict, inputError, notFound, ApiError } from '../errors.ts';
import type { ObjectModel } from '../object/model.ts';
import { cloneJson, deepEqual, iso, pgCompare, pgTime } from '../util.ts';
import { Workers } from './workers.ts';

export type RunState = 'pending' | 'running' | 'completed' | 'failed' | 'exception';
export type TaskState = RunState | 'unscheduled';
export type ReasonCreated = 'scheduled' | 'retry' | 'task-retry' | 'rerun' | 'exception';
export type ReasonResolved =
  | 'completed'
  | 'failed'
  | 'deadline-exceeded'
  | 'canceled'
  | 'claim-expired'
  | 'worker-shutdown'
  | 'malformed-payload'
  | 'resource-unavailable'
  | 'internal-error'
  | 'intermittent-task'
  | 'superseded';

export const EXCEPTION_REASONS = [
  'worker-shutdown',
  'malformed-payload',
  'resource-unavailable',
  'internal-error',
  'intermittent-task',
] as const;
export type ExceptionReason = (typeof EXCEPTION_REASONS)[number];

export const PRIORITIES = ['highest', 'very-high', 'high', 'medium', 'low', 'very-low', 'lowest'] as const;
const priorityRank = (p: string): number => {
  const i = PRIORITIES.indexOf(p as (typeof PRIORITIES)[number]);
  return i < 0 ? PRIORITIES.length - 1 : i; // legacy `normal` sorts with `lowest`
};

export interface Run {
  runId: number;
  state: RunState;
  reasonCreated: ReasonCreated;
  reasonResolved?: ReasonResolved;
  workerGroup?: string;
  workerId?: string;
  takenUntil?: number;
  scheduled?: number;
  started?: number;
  resolved?: number;
  /** Ordering key among pending runs: FIFO within a priority. */
  pendingSeq?: number;
}

export interface TaskRecord {
  taskId: string;
  definition: Record<string, any>;
  deadline: number;
  expires: number;
  retriesLeft: number;
  runs: Run[];
}

export type StorageType = 's3' | 'object' | 'reference' | 'link' | 'error';

export interface Artifact {
  taskId: string;
  runId: number;
  name: string;
  storageType: StorageType;
  contentType: string;
  expires: number;
  present: boolean;
  details: Record<string, any>;
  /** What the worker reported at createArtifact (`s3` and `object` only); kept by later compatible calls. */
  contentLength?: number;
}

export interface TaskClaim {
  status: Record<string, any>;
  runId: number;
  workerGroup: string;
  workerId: string;
  takenUntil: string;
  task: Record<string, any>;
  credentials: Credentials;
}

export interface ModelDeps {
  now: () => number;
  claimTimeoutSeconds: number;
  maxTaskDeadlineDays?: number;
  /**
   * How long after the deadline the deadline resolver acts (upstream: 60 s). 0, the default, resolves
   * exactly at the deadline; either way reclaim/cancel/rerun/schedule get 409 from the deadline on.
   */
  deadlineDelayMs?: number;
  /** Mint temporary credentials (named unless clientId is null), scopes, start, expiry. */
  issueCredentials: (clientId: string | null, scopes: string[], start: number, expiry: number) => Credentials;
  /** A signed URL on the S3-like store for `key`. */
  storeUrl: (key: string, method: 'PUT' | 'GET', expires: number) => string;
  objects: ObjectModel;
}

const MIN = 60 * 1000;
const MAX_RUNS = 50;

/** What getArtifact should answer. */
export type ArtifactAnswer =
  | { kind: 'redirect'; storageType: StorageType; url: string }
  | { kind: 'error'; storageType: 'error'; reason: string; message: string };

export class QueueModel {
  readonly events = new EventEmitter();
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly artifacts = new Map<string, Artifact>();
  private readonly supersedes = new Map<string, string[]>();
  private readonly actions: { at: number; run: () => void }[] = [];
  /** Per-task-queue claim timeouts (ms), overriding deps.claimTimeoutSeconds; lets one mock host short claims. */
  private readonly claimTimeouts = new Map<string, number>();
  private pendingSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly deps: ModelDeps;
  readonly workers: Workers;

  constructor(deps: ModelDeps) {
    this.deps = deps;
    this.workers = new Workers(deps.now);
    this.events.setMaxListeners(0);
  }

  now(): number {
    return this.deps.now();
  }

  get claimTimeoutMs(): number {
    return this.deps.claimTimeoutSeconds * 1000;
  }

  /** The claim timeout for one task queue; undefined seconds restores the default. */
  setClaimTimeout(taskQueueId: string, seconds: number | undefined): void {
    if (seconds === undefined) {
      this.claimTimeouts.delete(taskQueueId);
      return;
    }
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new Error(`setClaimTimeout(${taskQueueId}): seconds must be a positive number, got ${seconds}`);
    this.claimTimeouts.set(taskQueueId, seconds * 1000);
  }

  /** How long a claim or reclaim on this task's queue lasts. */
  private claimTimeoutFor(t: TaskRecord): number {
    return this.claimTimeouts.get(t.definition.taskQueueId) ?? this.claimTimeoutMs;
  }

  // ---- time ------------------------------------------------------------------------------------

  /**
   * Apply everything due at now(), one event at a time in time order: scheduled actions, claim expiry
   * (exactly at takenUntil, before the deadline; may add a retry run) and deadlines (deadline-exceeded).
   */
  tick(): void {
    const now = this.now();
    for (;;) {
      let when = Number.POSITIVE_INFINITY;
      let apply: (() => void) | undefined;
      const consider = (at: number, fn: () => void) => {
        if (at <= now && at < when) {
          when = at;
          apply = fn;
        }
      };
      for (const a of this.actions) {
        consider(a.at, () => {
          this.actions.splice(this.actions.indexOf(a), 1);
          a.run();
        });
      }
      for (const t of this.tasks.values()) {
        const last = t.runs.at(-1);
        if (last?.state === 'running' && last.takenUntil !== undefined && last.takenUntil < t.deadline) {
          consider(last.takenUntil, () =>
            this.resolveRun(t, last, 'exception', 'claim-expired', 'retry', last.takenUntil),
          );
        }
        if (!last || last.state === 'pending' || last.state === 'running') {
          consider(this.deadlineResolution(t), () => this.cancelInternal(t, 'deadline-exceeded'));
        }
      }
      if (!apply) break;
      apply();
    }
    this.reschedule();
  }

  private deadlineResolution(t: TaskRecord): number {
    return t.deadline + (this.deps.deadlineDelayMs ?? 0);
  }

  /** Run `fn` once the clock reaches `at` (used by the cancel-after fault). */
  at(at: number, fn: () => void): void {
    this.actions.push({ at, run: fn });
    this.reschedule();
  }

  private reschedule(): void {
    if (this.closed) return;
    let next = Number.POSITIVE_INFINITY;
    for (const a of this.actions) next = Math.min(next, a.at);
    for (const t of this.tasks.values()) {
      const last = t.runs.at(-1);
      if (last && last.state !== 'pending' && last.state !== 'running') continue;
      next = Math.min(next, this.deadlineResolution(t));
      if (last?.state === 'running' && last.takenUntil !== undefined) next = Math.min(next, last.takenUntil);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (next === Number.POSITIVE_INFINITY) return;
    const delay = Math.min(Math.max(next - this.now(), 0), 2 ** 31 - 1);
    // An injected clock may not move with real time; tick() on every call keeps the model exact anyway.
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.events.emit('close');
  }

  // ---- reading ---------------------------------------------------------------------------------

  getTask(taskId: string): TaskRecord {
    this.tick();
    const t = this.tasks.get(taskId);
    if (!t) throw notFound(`\`${taskId}\` does not correspond to a task that exists.\nAre you sure this task exists?`);
    return t;
  }

  hasTask(taskId: string): boolean {
    return this.tasks.has(taskId);
  }

  taskIds(): string[] {
    return [...this.tasks.keys()];
  }

  getRun(taskId: string, runId: number): Run {
    const t = this.getTask(taskId);
    const r = t.runs[runId];
    if (!r) throw notFound(`Run ${runId} not found on task \`${taskId}\`.`);
    return r;
  }

  task(taskId: string): Record<string, any> {
    return cloneJson(this.getTask(taskId).definition);
  }

  status(taskId: string): Record<string, any> {
    return this.statusOf(this.getTask(taskId));
  }

  state(t: TaskRecord): TaskState {
    return t.runs.at(-1)?.state ?? 'unscheduled';
  }

  private statusOf(t: TaskRecord): Record<string, any> {
    const d = t.definition;
    return {
      taskId: t.taskId,
      provisionerId: d.provisionerId,
      workerType: d.workerType,
      taskQueueId: d.taskQueueId,
      schedulerId: d.schedulerId,
      projectId: d.projectId,
      taskGroupId: d.taskGroupId,
      priority: d.priority,
      deadline: d.deadline,
      expires: d.expires,
      retriesLeft: t.retriesLeft,
      state: this.state(t),
      runs: t.runs.map((r) => {
        const o: Record<string, any> = { runId: r.runId, state: r.state, reasonCreated: r.reasonCreated };
        if (r.reasonResolved) o.reasonResolved = r.reasonResolved;
        if (r.workerGroup) o.workerGroup = r.workerGroup;
        if (r.workerId) o.workerId = r.workerId;
        if (r.takenUntil !== undefined) o.takenUntil = iso(r.takenUntil);
        if (r.scheduled !== undefined) o.scheduled = iso(r.scheduled);
        if (r.started !== undefined) o.started = iso(r.started);
        if (r.resolved !== undefined) o.resolved = iso(r.resolved);
        return o;
      }),
    };
  }

  pendingCount(taskQueueId: string): number {
    this.tick();
    let n = 0;
    for (const t of this.tasks.values()) {
      if (t.definition.taskQueueId === taskQueueId && t.runs.at(-1)?.state === 'pending') n++;
    }
    return n;
  }

  // ---- harness endpoints -------------------------------------------------------------------------

  /**
   * Tasks that list `taskId` in their dependencies, ordered by taskId (get_dependent_tasks); a dependency row
   * lasts as long as its dependent task.
   */
  dependentsOf(taskId: string): string[] {
    this.tick();
    const now = this.now();
    return [...this.tasks.values()]
      .filter((t) => t.expires > now && (t.definition.dependencies as string[]).includes(taskId))
      .map((t) => t.taskId)
      .sort(pgCompare);
  }

  /** createTask after schema validation (defaults already applied); throws InputError/409. */
  createTask(taskId: string, input: Record<string, any>): Record<string, any> {
    this.tick();
    const now = this.now();
    const def = normaliseDefinition(taskId, input);
    const created = Date.parse(def.created);
    const deadline = Date.parse(def.deadline);
    const expires = Date.parse(def.expires);
    const maxDays = this.deps.maxTaskDeadlineDays ?? 5;
    // Messages as services/queue/src/api.js (v106) patchAndValidateTaskDef words them.
    if (created < now - 15 * MIN) throw inputError('`created` cannot be in the past (max 15min drift)');
    if (created > now + 15 * MIN) throw inputError('`created` cannot be in the future (max 15min drift)');
    if (created > deadline) throw inputError('`deadline` cannot be later than `created`');
    if (deadline < now) throw inputError('`deadline` cannot be in the past');
    if (deadline - now > maxDays * 24 * 60 * MIN + 15 * MIN) {
      throw inputError(`\`deadline\` cannot be more than ${maxDays} days into the future`);
    }
    if (expires < deadline) throw inputError('`expires` cannot be before `deadline`');
    if ((def.scopes as string[]).some((s) => s.endsWith('**'))) throw inputError('scopes must not end with `**`');
    const existing = this.tasks.get(taskId);
    if (existing) {
      if (!deepEqual(existing.definition, def)) {
        throw conflict(
          `taskId \`${taskId}\` already used by another task.\nThis could be the result of faulty idempotency!`,
        );
      }
      return this.statusOf(existing);
    }
    const t: TaskRecord = { taskId, definition: def, deadline, expires, retriesLeft: def.retries, runs: [] };
    this.tasks.set(taskId, t);
    const refused = this.dependencyProblem(t);
    if (refused) {
      // Upstream inserts, finds the problem, then removes the task again: nothing remains.
      this.tasks.delete(taskId);
      throw inputError(refused);
    }
    if (this.dependenciesSatisfied(t)) this.addRun(t, 'scheduled');
    this.reschedule();
    return this.statusOf(t);
  }

  /** dependencytracker.js trackDependencies: every dependency must exist and outlive this task's deadline. */
  private dependencyProblem(t: TaskRecord): string | undefined {
    const deps = t.definition.dependencies as string[];
    const missing = deps.filter((id) => !this.tasks.has(id));
    const expiring = missing.length > 0 ? [] : deps.filter((id) => t.deadline > this.tasks.get(id)!.expires);
    if (missing.length === 0 && expiring.length === 0) return undefined;
    let msg = '';
    if (missing.length > 0) {
      msg += '`task.dependencies` references non-existing tasks: \n';
      msg += `${missing.map((id) => ` * ${id}`).join('\n')}\n`;
      msg += 'All taskIds in `task.dependencies` **must** exist\nbefore the task is created.\n';
    }
    if (expiring.length > 0) {
      msg += '`task.dependencies` references tasks that expires\n';
      msg += 'before `task.deadline` this is not allowed, see tasks: \n';
      msg += `${expiring.map((id) => ` * ${id},`).join('\n')}\n`;
      msg +=
        'All taskIds in `task.dependencies` **must** have\n`task.expires` greater than the `deadline` for this task.\n';
    }
    return msg;
  }

  private dependenciesSatisfied(t: TaskRecord): boolean {
    const deps = t.definition.dependencies as string[];
    return deps.every((id) => {
      const d = this.tasks.get(id);
      const s = d ? this.state(d) : 'unscheduled';
      if (t.definition.requires === 'all-resolved') return s === 'completed' || s === 'failed' || s === 'exception';
      return s === 'completed';
    });
  }

  private addRun(t: TaskRecord, reasonCreated: ReasonCreated, at = this.now()): Run {
    const run: Run = {
      runId: t.runs.length,
      state: 'pending',
      reasonCreated,
      scheduled: at,
      pendingSeq: this.pendingSeq++,
    };
    t.runs.push(run);
    this.events.emit('pending', t.definition.taskQueueId);
    return run;
  }

  scheduleTask(taskId: string): Record<string, any> {
    const t = this.getTask(taskId);
    if (t.deadline <= this.now()) throw conflict(`Task \`${taskId}\` Can't be scheduled past its deadline.`);
    if (t.runs.length === 0) this.addRun(t, 'scheduled');
    this.reschedule();
    return this.statusOf(t);
  }

  cancelTask(taskId: string): Record<string, any> {
    const t = this.getTask(taskId);
    if (t.deadline <= this.now()) throw conflict(`Task \`${taskId}\` Can't be canceled past it's deadline.`);
    this.cancelInternal(t, 'canceled');
    return this.statusOf(t);
  }

  private cancelInternal(t: TaskRecord, reason: 'canceled' | 'deadline-exceeded'): void {
    const last = t.runs.at(-1);
    // A deadline found late (lazy tick) is still resolved at the deadline itself.
    const at = reason === 'deadline-exceeded' ? Math.min(this.now(), this.deadlineResolution(t)) : this.now();
    if (!last) {
      t.runs.push({
        runId: 0,
        state: 'exception',
        reasonCreated: 'exception',
        reasonResolved: reason,
        scheduled: at,
        resolved: at,
      });
      this.afterResolution(t);
    } else if (last.state === 'pending' || last.state === 'running') {
      last.state = 'exception';
      last.reasonResolved = reason;
      last.resolved = at;
      this.afterResolution(t);
    }
    this.reschedule();
  }

  rerunTask(taskId: string): Record<string, any> {
    const t = this.getTask(taskId);
    if (t.deadline <= this.now()) throw conflict(`Task \`${taskId}\` Can't be rerun past its deadline.`);
    const state = this.state(t);
    if (state === 'pending' || state === 'running') return this.statusOf(t);
    if (t.runs.length >= MAX_RUNS) {
      throw conflict(`Maximum number of runs reached (${MAX_RUNS}).`);
    }
    t.retriesLeft = Math.max(0, Math.min(t.definition.retries, MAX_RUNS - (t.runs.length - 1) - 2));
    this.addRun(t, 'rerun');
    this.reschedule();
    return this.statusOf(t);
  }

  // ---- claiming ----------------------------------------------------------------------------------

  /** Claim up to `count` pending runs of a queue: priority first, then FIFO. Synchronous, so never twice. */
  claimWork(taskQueueId: string, workerGroup: string, workerId: string, count: number): TaskClaim[] {
    this.tick();
    const now = this.now();
    const pending: [TaskRecord, Run][] = [];
    for (const t of this.tasks.values()) {
      const last = t.runs.at(-1);
      if (t.definition.taskQueueId === taskQueueId && last?.state === 'pending' && t.deadline > now) {
        pending.push([t, last]);
      }
    }
    pending.sort(
      ([a, ra], [b, rb]) =>
        priorityRank(a.definition.priority) - priorityRank(b.definition.priority) || ra.pendingSeq! - rb.pendingSeq!,
    );
    return pending.slice(0, count).map(([t, r]) => this.claim(t, r, workerGroup, workerId));
  }

  /** Resolves when something may be claimable on the queue, or after `ms`, or on abort. */
  waitForWork(taskQueueId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off('pending', onPending);
        this.events.off('close', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const onPending = (q: string) => {
        if (q === taskQueueId) done();
      };
      const timer = setTimeout(done, ms);
      this.events.on('pending', onPending);
      this.events.once('close', done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private claim(t: TaskRecord, r: Run, workerGroup: string, workerId: string): TaskClaim {
    const now = this.now();
    const takenUntil = now + this.claimTimeoutFor(t);
    // The answer's copy of the definition and its credentials are made before the run changes state, so a
    // failure there leaves the run pending rather than claimed by nobody who knows it.
    const task = cloneJson(t.definition);
    const credentials = this.runCredentials(t, r, workerGroup, workerId, takenUntil);
    r.state = 'running';
    r.workerGroup = workerGroup;
    r.workerId = workerId;
    r.takenUntil = takenUntil;
    r.started = now;
    this.workers.claimed(t.definition.taskQueueId, workerGroup, workerId, t.taskId, r.runId);
    this.events.emit('claimed', t.taskId, r.runId);
    this.reschedule();
    return {
      status: this.statusOf(t),
      runId: r.runId,
      workerGroup,
      workerId,
      takenUntil: pgTime(takenUntil),
      task,
      credentials,
    };
  }

  private runCredentials(
    t: TaskRecord,
    r: Run,
    workerGroup = r.workerGroup,
    workerId = r.workerId,
    takenUntil = r.takenUntil!,
  ): Credentials {
    const clientId = `task-client/${t.taskId}/${r.runId}/on/${workerGroup}/${workerId}/until/${takenUntil / 1000}`;
    const scopes = [
      `queue:reclaim-task:${t.taskId}/${r.runId}`,
      `queue:resolve-task:${t.taskId}/${r.runId}`,
      `queue:create-artifact:${t.taskId}/${r.runId}`,
      ...(t.definition.scopes as string[]),
    ];
    return this.deps.issueCredentials(clientId, scopes, this.now(), takenUntil);
  }

  /** Deprecated claimTask: a specific run; idempotent for the same worker, 409 for another. */
  claimTask(
    taskId: string,
    runId: number,
    workerGroup: string,
    workerId: string,
  ): Omit<TaskClaim, 'takenUntil'> & { takenUntil: string } {
    const t = this.getTask(taskId);
    const r = this.getRun(taskId, runId);
    if (t.deadline <= this.now()) throw conflict(`Task \`${taskId}\` can't be claimed past its deadline.`);
    if (r.runId !== t.runs.length - 1) throw conflict(`Run ${runId} is not the latest run of task \`${taskId}\`.`);
    if (r.state === 'running' && r.workerGroup === workerGroup && r.workerId === workerId) {
      const claim = {
        status: this.statusOf(t),
        runId,
        workerGroup,
        workerId,
        takenUntil: iso(r.takenUntil!),
        task: cloneJson(t.definition),
        credentials: this.runCredentials(t, r),
      };
      return claim;
    }
    if (r.state !== 'pending') throw conflict(`Run ${runId} was already claimed by another worker.`);
    const c = this.claim(t, r, workerGroup, workerId);
    return { ...c, takenUntil: iso(r.takenUntil!) };
  }

  reclaimTask(taskId: string, runId: number): Record<string, any> {
    const t = this.getTask(taskId);
    const r = this.getRun(taskId, runId);
    if (t.deadline <= this.now()) throw conflict(`Task \`${taskId}\` can't be reclaimed past its deadline.`);
    if (r.runId !== t.runs.length - 1 || r.state !== 'running') {
      throw conflict(`Run ${runId} on task \`${taskId}\` is resolved or not running.`);
    }
    r.takenUntil = this.now() + this.claimTimeoutFor(t);
    this.reschedule();
    return {
      status: this.statusOf(t),
      runId,
      workerGroup: r.workerGroup,
      workerId: r.workerId,
      takenUntil: iso(r.takenUntil),
      credentials: this.runCredentials(t, r),
    };
  }

  // ---- resolution --------------------------------------------------------------------------------

  /** The check the real Queue makes before authorization for reportCompleted/reportFailed. */
  checkResolvable(taskId: string, runId: number, target: 'completed' | 'failed'): void {
    const r = this.getRun(taskId, runId);
    if (r.state !== 'running' && r.state !== target) {
      throw conflict(`Run ${runId} of task \`${taskId}\` is not running or ${target}.`);
    }
  }

  reportResolved(taskId: string, runId: number, target: 'completed' | 'failed'): Record<string, any> {
    this.checkResolvable(taskId, runId, target);
    const t = this.getTask(taskId);
    const r = t.runs[runId];
    if (r.state === 'running') {
      if (runId !== t.runs.length - 1) throw conflict(`Run ${runId} of task \`${taskId}\` is not the latest run.`);
      this.resolveRun(t, r, target, target);
    }
    if (r.state !== target || r.reasonResolved !== target) {
      throw conflict(`Run ${runId} of task \`${taskId}\` is not running or ${target}.`);
    }
    return this.statusOf(t);
  }

  reportException(taskId: string, runId: number, reason: ExceptionReason | 'superseded'): Record<string, any> {
    const t = this.getTask(taskId);
    const r = this.getRun(taskId, runId);
    if (r.state === 'running' && runId === t.runs.length - 1) {
      const retry = reason === 'worker-shutdown' ? 'retry' : reason === 'intermittent-task' ? 'task-retry' : undefined;
      this.resolveRun(t, r, 'exception', reason, retry);
    }
    if (r.state !== 'exception' || r.reasonResolved !== reason) {
      throw conflict(`Run ${runId} on task \`${taskId}\` is resolved or not running.`);
    }
    return this.statusOf(t);
  }

  private resolveRun(
    t: TaskRecord,
    r: Run,
    state: RunState,
    reason: ReasonResolved,
    retry?: ReasonCreated,
    at = this.now(),
  ): void {
    r.state = state;
    r.reasonResolved = reason;
    r.resolved = at;
    if (retry && t.retriesLeft > 0) {
      t.retriesLeft--;
      this.addRun(t, retry, at);
    } else {
      this.afterResolution(t);
    }
    this.reschedule();
  }

  /** A resolved task may unblock its dependents. */
  private afterResolution(resolved: TaskRecord): void {
    this.events.emit('resolved', resolved.taskId);
    for (const t of this.tasks.values()) {
      if (t.runs.length === 0 && (t.definition.dependencies as string[]).includes(resolved.taskId)) {
        if (this.dependenciesSatisfied(t) && t.deadline > this.now()) this.addRun(t, 'scheduled');
      }
    }
  }

  // ---- artifacts ---------------------------------------------------------------------------------

  private key(taskId: string, runId: number, name: string): string {
    return `${taskId}/${runId}/${name}`;
  }

  /** createArtifact after authorization (the route authorizes before anything is looked up), in the real order. */
  createArtifact(taskId: string, runId: number, name: string, input: Record<string, any>): Record<string, any> {
    this.tick();
    const now = this.now();
    const expires = Date.parse(input.expires);
    if (expires < now - 15 * MIN) throw inputError('Expires must be in the future');
    const t = this.tasks.get(taskId);
    if (!t) throw inputError(`Task not found`);
    const r = t.runs[runId];
    if (!r) throw inputError(`Run not found`);
    if (!r.workerGroup || !r.workerId)
      throw inputError('Run was not claimed by a worker and so no artifacts can exist');
    if (t.expires < expires) {
      throw inputError(
        `Artifact expires (${iso(expires)}) after the task expiration ${iso(t.expires)} (task.expires < expires) - this is not allowed, artifacts may not expire after the task they belong to expires`,
      );
    }
    const lateException = r.state === 'exception' && r.resolved !== undefined && r.resolved > now - 25 * MIN;
    if (r.state !== 'running' && !lateException) {
      throw conflict(
        "Artifacts cannot be created for a task after it is resolved, unless it is resolved 'exception', and even in this case only up to 25 min past resolution. This to ensure that artifacts have been uploaded before a task is 'completed' and output is consumed by a dependent task\n\nTask status: " +
          JSON.stringify(this.statusOf(t), null, 2),
      );
    }
    const storageType = input.storageType as StorageType;
    const contentType: string = input.contentType ?? 'application/binary';
    const k = this.key(taskId, runId, name);
    const existing = this.artifacts.get(k);
    let details: Record<string, any>;
    let present = true;
    if (storageType === 's3') details = { bucket: 'mock-artifacts', prefix: k };
    else if (storageType === 'reference') details = { url: input.url };
    else if (storageType === 'link') details = { artifact: input.artifact };
    else if (storageType === 'error') details = { reason: input.reason, message: input.message };
    else {
      if (existing) {
        // A repeat makes a fresh uploadId, which the object service refuses (500 upstream; 409 here).
        throw conflict(
          'Artifact already exists with different properties, and none of the allowed exceptions apply (an object artifact cannot be created twice)',
        );
      }
      const uploadId = slugid.nice();
      const objectName = `t/${taskId}/${runId}/${name}`;
      const projectId = t.definition.projectId as string;
      this.deps.objects.createUpload(objectName, {
        projectId,
        uploadId,
        expires: iso(expires),
        proposedUploadMethods: {},
      });
      details = { projectId, uploadId, name: objectName };
      present = false;
    }
    if (existing) {
      const compatible =
        (storageType === 'link' || existing.contentType === contentType) &&
        expires >= existing.expires &&
        (existing.storageType === storageType
          ? storageType === 'reference' || deepEqual(existing.details, details)
          : existing.storageType === 'reference' && storageType === 'link');
      if (!compatible) {
        const original = {
          storageType: existing.storageType,
          contentType: existing.contentType,
          expires: iso(existing.expires),
        };
        throw conflict(
          `Artifact already exists with different properties, and none of the allowed exceptions apply: ${JSON.stringify(original)}`,
        );
      }
    }
    // create_queue_artifact_2 stores content_length; update_queue_artifact_2 (a compatible repeat) leaves it.
    const contentLength = existing ? existing.contentLength : (input.contentLength as number | undefined);
    this.artifacts.set(k, {
      taskId,
      runId,
      name,
      storageType,
      contentType,
      expires,
      present,
      details,
      ...(contentLength !== undefined ? { contentLength } : {}),
    });
    switch (storageType) {
      case 's3': {
        const urlExpires = now + 45 * MIN;
        return {
          storageType,
          contentType,
          expires: iso(urlExpires),
          putUrl: this.deps.storeUrl(k, 'PUT', urlExpires + 10 * 1000),
        };
      }
      case 'object': {
        const credExpiry = Math.min(expires, now + 24 * 60 * MIN);
        return {
          storageType,
          name: details.name,
          projectId: details.projectId,
          uploadId: details.uploadId,
          expires: iso(expires),
          credentials: this.deps.issueCredentials(
            `artifact-upload/${taskId}/${runId}/on/${r.workerGroup}/${r.workerId}`,
            [`object:upload:${details.projectId}:${details.name}`],
            now,
            credExpiry,
          ),
        };
      }
      default:
        return { storageType };
    }
  }

  finishArtifact(taskId: string, runId: number, name: string, uploadId: string): void {
    this.tick();
    const a = this.artifacts.get(this.key(taskId, runId, name));
    if (!a || !this.tasks.get(taskId)?.runs[runId]) {
      throw notFound(`Artifact with taskId \`${taskId}\`, runId ${runId}, name \`${name}\` not found`);
    }
    if (a.storageType !== 'object') throw inputError('Only object artifacts can be finished');
    if (a.present) return;
    if (a.details.uploadId !== uploadId) throw inputError('given uploadId does not match that for the artifact');
    if (!this.deps.objects.isFinished(a.details.name)) throw inputError('Object storing artifact data does not exist');
    a.present = true;
    this.events.emit('artifact', a);
  }

  /** The run id the "latest" routes use; 404 when the task is unknown or has no runs. */
  latestRunId(taskId: string): number {
    this.tick();
    const t = this.tasks.get(taskId);
    if (!t) throw notFound('Task not found');
    if (t.runs.length === 0) throw notFound("Task doesn't have any runs");
    return t.runs.length - 1;
  }

  /**
   * Follow link artifacts from `name` like upstream's getArtifactFollowingLinks: `authorize(names)`
   * before each hop, then 404 (missing or not present), 410 (expired), 400 (link cycle).
   */
  followLinks(taskId: string, runId: number, name: string, authorize: (names: string[]) => void): Artifact {
    this.tick();
    const names: string[] = [];
    let current = name;
    for (;;) {
      names.push(current);
      authorize([...names]);
      const a = this.artifacts.get(this.key(taskId, runId, current));
      if (!a?.present) throw notFound('Artifact not found');
      if (a.expires < this.now()) throw new ApiError('ResourceExpired', 'Artifact expired');
      if (a.storageType !== 'link') return a;
      if (names.includes(a.details.artifact)) throw inputError('Artifact leads to a link cycle');
      current = a.details.artifact;
    }
  }

  /** What getArtifact answers for a (non-link) artifact found by followLinks. */
  artifactAnswer(a: Artifact): ArtifactAnswer {
    switch (a.storageType) {
      case 'error':
        return { kind: 'error', storageType: 'error', reason: a.details.reason, message: a.details.message };
      case 'reference':
        return { kind: 'redirect', storageType: 'reference', url: a.details.url };
      case 's3':
        return {
          kind: 'redirect',
          storageType: 's3',
          url: this.deps.storeUrl(a.details.prefix, 'GET', this.now() + 30 * MIN),
        };
      default:
        return { kind: 'redirect', storageType: 'object', url: this.deps.objects.simpleUrl(a.details.name) };
    }
  }

  /** artifact / latestArtifact content descriptors (error → 200, not 424). */
  artifactContent(a: Artifact): Record<string, any> {
    if (a.storageType === 'object') {
      const now = this.now();
      return {
        storageType: 'object',
        name: a.details.name,
        credentials: this.deps.issueCredentials(
          `artifact-download/${a.taskId}/${a.runId}/${a.name}`,
          [`object:download:${a.details.name}`],
          now,
          now + 60 * MIN,
        ),
      };
    }
    const ans = this.artifactAnswer(a);
    if (ans.kind === 'error') return { storageType: 'error', reason: ans.reason, message: ans.message };
    return { storageType: ans.storageType, url: ans.url };
  }

  /** listArtifacts: 404 for an unknown task or a run past the latest. */
  listArtifacts(taskId: string, runId: number): Record<string, any>[] {
    const latest = this.latestRunId(taskId);
    if (runId < 0 || runId > latest) throw notFound(`Task with taskId: \`${taskId}\` has no run with runId: ${runId}`);
    return [...this.artifacts.values()]
      .filter((a) => a.taskId === taskId && a.runId === runId)
      .sort((a, b) => pgCompare(a.name, b.name))
      .map(serializeArtifact);
  }

  artifactInfo(taskId: string, runId: number, name: string): Record<string, any> {
    this.tick();
    const a = this.artifacts.get(this.key(taskId, runId, name));
    if (!a?.present) throw notFound('Artifact not found');
    return serializeArtifact(a);
  }

  /** Raw artifact records (for the conformance runner and tests). */
  artifactsOf(taskId: string): Artifact[] {
    return [...this.artifacts.values()].filter((a) => a.taskId === taskId).map((a) => cloneJson(a));
  }

  // ---- superseder stub ---------------------------------------------------------------------------

  setSupersedes(taskId: string, list: string[]): void {
    this.supersedes.set(taskId, [...list]);
  }

  supersedesOf(taskId: string): string[] {
    return this.supersedes.get(taskId) ?? [taskId];
  }
}

/** As services/queue/src/utils.js artifactUtils.serialize: contentLength only when the worker reported it. */
function serializeArtifact(a: Artifact): Record<string, any> {
  return {
    storageType: a.storageType,
    name: a.name,
    expires: iso(a.expires),
    contentType: a.contentType,
    ...(a.contentLength !== undefined ? { contentLength: a.contentLength } : {}),
  };
}

/** deadline + 1 calendar year, as upstream's `setFullYear(getFullYear() + 1)` on a UTC server. */
function plusOneYear(ms: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + 1);
  return d.getTime();
}

/** Fill in createTask defaults the way the real Queue does (services/queue/src/api.js). */
export function normaliseDefinition(taskId: string, input: Record<string, any>): Record<string, any> {
  // The order and messages of createTask in services/queue/src/api.js (v106), stray quote included.
  let { taskQueueId, provisionerId, workerType } = input;
  if (provisionerId && workerType && taskQueueId) {
    if (`${provisionerId}/${workerType}` !== taskQueueId) {
      throw inputError('taskQueueId must match "provisionerId/workerType"');
    }
  } else if (provisionerId && workerType) {
    taskQueueId = `${provisionerId}/${workerType}`;
  } else if (taskQueueId) {
    [provisionerId, workerType] = String(taskQueueId).split('/');
  } else {
    throw inputError('at least a provisionerId and a workerType or a taskQueueId must be provided"');
  }
  const deadline = iso(Date.parse(input.deadline));
  const def: Record<string, any> = {
    provisionerId,
    workerType,
    taskQueueId,
    schedulerId: input.schedulerId ?? '-',
    projectId: input.projectId ?? 'none',
    taskGroupId: input.taskGroupId ?? taskId,
    dependencies: input.dependencies ?? [],
    requires: input.requires ?? 'all-completed',
    routes: input.routes ?? [],
    // `normal` is migrated to `lowest`, the current default (services/queue/src/api.js).
    priority: input.priority === undefined || input.priority === 'normal' ? 'lowest' : input.priority,
    retries: input.retries ?? 5,
    created: iso(Date.parse(input.created)),
    deadline,
    expires: iso(input.expires !== undefined ? Date.parse(input.expires) : plusOneYear(Date.parse(deadline))),
    scopes: input.scopes ?? [],
    payload: input.payload,
    metadata: input.metadata,
    tags: input.tags ?? {},
    extra: input.extra ?? {},
  };
  return cloneJson(def);
}
