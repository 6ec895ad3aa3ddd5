// One claimed run, generic-worker's shape (generic-worker-behaviour.md §2.2): for each feature in order,
// check that a requested feature is enabled, that the task has its scopes and that no two features reserve
// one artifact name, then start it; on the first error stop starting, then stop every started feature in
// reverse order, and finally resolve the run (nothing is reported for a run that was cancelled).
// Between the commands and the stops, everything the run started is killed (also processes that left
// the commands' process groups), so nothing the task left running can change the files that are then
// read and uploaded. A shutdown (SIGTERM) that arrives while features stop still resolves the run
// exception/worker-shutdown: generic-worker's aborted state refuses reportCompleted (taskstatus.go).
import type { EventEmitter } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { arch, platform as osPlatform } from 'node:os';
import { join, resolve } from 'node:path';
import { ArtifactUploader } from './artifact-upload.ts';
import type { ResolvedConfig } from './config.ts';
import type { CommandWatcher, Feature, Outcome, TaskFeature } from './features/feature.ts';
import { TaskError } from './features/feature.ts';
import type { Platform, RunningProcess, TaskUser } from './platform/platform.ts';
import { RunCredentials, type TaskCredentials } from './queue.ts';
import { Reclaimer } from './reclaimer.ts';
import { scopesSatisfied } from './scopes.ts';
import { writeOwner } from './sandbox/owner.ts';
import { TaskLog } from './task-log.ts';
import { VERSION } from './version.ts';

/** One entry of claimWork's `tasks`. */
export interface TaskClaim {
  status: { taskId: string; [k: string]: unknown };
  runId: number;
  takenUntil: string;
  workerGroup: string;
  workerId: string;
  task: TaskDefinition;
  credentials: TaskCredentials;
}

export interface TaskDefinition {
  taskGroupId: string;
  deadline: string;
  expires: string;
  scopes?: string[];
  payload: any;
  [k: string]: unknown;
}

/** The run was cancelled (or otherwise lost) on the Queue: kill everything and report nothing. */
export class RunLost extends Error {}

/** The worker's own log (worker-log.ts; the call shape of pino's). */
export interface WorkerLogger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface TaskContext {
  readonly config: ResolvedConfig;
  readonly platform: Platform;
  readonly taskId: string;
  readonly runId: number;
  readonly task: TaskDefinition;
  /** The payload as claimed (validated by the payload-validator feature before later features see it). */
  readonly payload: any;
  readonly taskDir: string;
  /** The task slot (0 … capacity-1) this run holds: it picks the run's own ports (config proxyPort). */
  readonly slot: number;
  readonly log: TaskLog;
  /** Task-scoped Queue access, signed with the run's current temporary credentials. */
  readonly credentials: RunCredentials;
  readonly uploader: ArtifactUploader;
  /** Extra environment variables features set for the commands (e.g. TASKCLUSTER_PROXY_URL). */
  readonly env: Record<string, string>;
  /** Set by a sandbox feature when commands run as a per-task OS user. */
  taskUser?: TaskUser;
  /** Features watching each command as it runs (the resource monitor); the command executor calls them. */
  readonly commandWatchers: CommandWatcher[];
  /** Every artifact name reserved by the features started so far. */
  readonly reservedArtifacts: Set<string>;
  /** Worker-wide events: 'shutdown' (SIGTERM: abort with worker-shutdown). */
  readonly workerEvents: EventEmitter;
  /** Whether a shutdown was requested already (possibly before this run's abort feature listened). */
  shuttingDown(): boolean;
  /** Exit code of the last command run, for features' stop(). */
  exitCode?: number | null;
  readonly aborted: boolean;
  readonly cancelled: boolean;
  readonly abortReason: TaskError | RunLost | undefined;
  /** Abort the run: kill every tracked process tree; the first reason wins. */
  abort(reason: TaskError | RunLost): void;
  /** Track a running process so an abort kills its tree; returns the untrack function. */
  track(proc: RunningProcess): () => void;
}

export interface RunResult {
  taskId: string;
  runId: number;
  resolution: 'completed' | 'failed' | 'exception' | 'lost';
  reason?: string;
  reclaims: number;
}

export interface RunDeps {
  config: ResolvedConfig;
  platform: Platform;
  features: readonly Feature<ResolvedConfig, TaskContext, TaskContext>[];
  workerEvents: EventEmitter;
  logger: WorkerLogger;
  shuttingDown?: () => boolean;
  /** The worker's own scratch directory (gzip before upload); not a place tasks are pointed at. */
  scratchDir?: string;
  /** The task slot this run holds (0 unless the worker runs several tasks at once). */
  slot?: number;
}

/** A feature's payload spelling (`taskcluster-proxy` → `taskclusterProxy`), as generic-worker names features. */
function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function header(ctx: TaskContext): string {
  const cfg = ctx.config;
  const metadata = {
    ...cfg.workerTypeMetadata,
    'tc-worker': { version: VERSION, os: osPlatform(), arch: arch(), node: process.version },
  };
  const json = JSON.stringify(metadata, null, 2)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return [
    `Worker Type (${cfg.provisionerId}/${cfg.workerType}) settings:`,
    json,
    `Worker: ${cfg.workerGroup}/${cfg.workerId}`,
    `Task ID: ${ctx.taskId}`,
    `Run ID: ${ctx.runId}`,
    '=== Task Starting ===',
  ].join('\n');
}

export async function runTask(claim: TaskClaim, deps: RunDeps): Promise<RunResult> {
  const { config } = deps;
  const taskId = claim.status.taskId;
  const runId = claim.runId;
  const taskDir = resolve(config.tasksDir, `task_${taskId.slice(0, 10)}_${runId}`);
  await rm(taskDir, { recursive: true, force: true });
  await mkdir(join(taskDir, 'generic-worker'), { recursive: true, mode: 0o700 });
  // Who holds this directory: a worker starting later on the same tasksDir leaves it alone while we live.
  await writeOwner(join(taskDir, 'generic-worker'));
  const log = new TaskLog(join(taskDir, 'generic-worker', 'live_backing.log'));
  try {
    return await runWithLog(claim, deps, taskDir, log);
  } finally {
    log.dispose();
    if (config.cleanUpTaskDirs) await rm(taskDir, { recursive: true, force: true }).catch(() => {});
  }
}

async function runWithLog(claim: TaskClaim, deps: RunDeps, taskDir: string, log: TaskLog): Promise<RunResult> {
  const { config, platform, logger } = deps;
  const taskId = claim.status.taskId;
  const runId = claim.runId;
  const credentials = new RunCredentials(config.rootUrl, claim.credentials);
  const uploader = new ArtifactUploader(credentials, taskId, runId, {
    scratchDir: deps.scratchDir,
    warn: (message) => log.warn(message),
  });
  uploader.useObject = config.createObjectArtifacts;

  const procs = new Set<RunningProcess>();
  /** Pids of every command started: each leads its own session, which its children stay in unless they leave. */
  const sessions: number[] = [];
  let abortReason: TaskError | RunLost | undefined;
  /** Set once the features are stopping: an abort then is recorded at once (no command is left to end it). */
  let stopping = false;
  const ctx: TaskContext = {
    config,
    platform,
    taskId,
    runId,
    task: claim.task,
    payload: claim.task.payload,
    taskDir,
    slot: deps.slot ?? 0,
    log,
    credentials,
    uploader,
    env: {},
    commandWatchers: [],
    reservedArtifacts: new Set(),
    workerEvents: deps.workerEvents,
    shuttingDown: () => deps.shuttingDown?.() ?? false,
    get aborted() {
      return abortReason !== undefined;
    },
    get cancelled() {
      return abortReason instanceof RunLost;
    },
    get abortReason() {
      return abortReason;
    },
    abort(reason) {
      if (abortReason) return;
      abortReason = reason;
      if (reason instanceof RunLost) uploader.disabled = true;
      log.error('Aborting task...');
      for (const p of procs) p.killTree().catch((e) => logger.error({ err: e, taskId }, 'kill failed'));
      if (stopping) record(reason);
    },
    track(proc) {
      procs.add(proc);
      if (proc.pid !== undefined) sessions.push(proc.pid);
      if (abortReason) proc.killTree().catch(() => {});
      return () => procs.delete(proc);
    },
  };

  const reclaimer = new Reclaimer({
    run: credentials,
    taskId,
    runId,
    takenUntil: claim.takenUntil,
    reclaimBeforeSecs: config.reclaimBeforeSecs,
    onLost: (err) => {
      logger.warn({ taskId, runId, err: err.message }, 'reclaim refused; run lost (cancelled or resolved)');
      ctx.abort(
        new RunLost(`Encountered exception when reclaiming task ${taskId} - giving up retrying: ${err.message}`),
      );
    },
    onReclaimed: (takenUntil) => logger.info({ taskId, runId, takenUntil }, 'reclaimed task'),
    onError: (err) => logger.warn({ taskId, runId, err: err.message }, 'reclaim failed; will retry'),
  });
  reclaimer.start();

  // Out of disk for the task log: the output is being lost, so the run cannot count as completed. The
  // log keeps the rest in memory (task-log.ts), so this reason still reaches the uploaded log.
  log.once('failure', (error: NodeJS.ErrnoException) => {
    logger.error({ taskId, runId, err: error.message }, 'task log could not be written');
    ctx.abort(
      new TaskError(
        'failed',
        `The task log could not be written to ${log.path} (${error.code ?? 'error'}: ${error.message}); the task was stopped`,
      ),
    );
  });

  let firstError: TaskError | undefined;
  function record(err: unknown): void {
    if (err instanceof RunLost) {
      log.error(err.message);
      return;
    }
    const te =
      err instanceof TaskError
        ? err
        : new TaskError('internal-error', `Internal worker error: ${(err as Error)?.stack ?? String(err)}`);
    if (!(err instanceof TaskError)) logger.error({ taskId, runId, err: String(err) }, 'internal error in task run');
    log.error(te.message);
    firstError ??= te;
  }
  const outcome = (): Outcome => ({
    resolution: firstError ? (firstError.reason === 'failed' ? 'failed' : 'exception') : 'completed',
    reason: firstError?.reason,
    aborted: abortReason !== undefined,
    exitCode: ctx.exitCode,
  });

  log.info(header(ctx));
  if (platform.startRun) {
    try {
      log.info(`Processes of this run are tracked by ${await platform.startRun({ taskDir, taskId, runId, sessions })}`);
    } catch (e) {
      // The environment-marker scan at the end of the run still applies.
      log.warn(`Could not set up process tracking for this run: ${(e as Error).message}`);
    }
  }
  const started: TaskFeature[] = [];
  try {
    for (const f of deps.features) {
      if (abortReason) {
        record(abortReason);
        break;
      }
      let tf: TaskFeature;
      try {
        if (!f.requested(ctx)) continue;
        const enabled = f.enabled(config);
        if (enabled !== true) {
          record(
            new TaskError(
              'malformed-payload',
              `this task is attempting to use feature "${camelCase(f.name)}", but it's not enabled on this worker (${enabled})`,
            ),
          );
          break;
        }
        tf = f.forTask(ctx);
      } catch (e) {
        // A feature that throws while deciding or setting up is an internal error of this run only.
        record(e);
        break;
      }
      if (!scopesSatisfied(claim.task.scopes ?? [], tf.requiredScopes)) {
        record(
          new TaskError(
            'malformed-payload',
            `Feature "${f.name}" requires scopes:\n\n${JSON.stringify(tf.requiredScopes)}\n\nbut task only has scopes:\n\n${JSON.stringify(claim.task.scopes ?? [])}\n\nYou probably should add some scopes to your task definition`,
          ),
        );
        break;
      }
      const clash = (tf.reservedArtifacts ?? []).find((n) => ctx.reservedArtifacts.has(n));
      if (clash) {
        record(new TaskError('malformed-payload', `Artifact name "${clash}" is reserved by two features`));
        break;
      }
      for (const n of tf.reservedArtifacts ?? []) ctx.reservedArtifacts.add(n);
      started.push(tf);
      try {
        await tf.start();
      } catch (e) {
        record(e);
        break;
      }
    }
    if (abortReason && !firstError && !(abortReason instanceof RunLost)) record(abortReason);
  } finally {
    stopping = true;
    await killLeftovers();
    for (const tf of started.reverse()) {
      try {
        await tf.stop(outcome());
      } catch (e) {
        record(e);
      }
    }
  }
  // SIGTERM after the abort feature stopped listening (during the backing log's upload) still counts.
  if (!firstError && !abortReason && ctx.shuttingDown()) {
    record(new TaskError('worker-shutdown', 'graceful termination requested, without time to finish tasks'));
  }

  /** Everything the run started and left running, killed before any feature reads the task's files. */
  async function killLeftovers(): Promise<void> {
    if (!platform.killRunProcesses) return;
    try {
      const r = await platform.killRunProcesses({ user: ctx.taskUser, taskDir, taskId, runId, sessions });
      if (r.killed > 0) log.info(`Killed ${r.killed} process(es) the task left running`);
      if (r.refused.length > 0) {
        log.warn(
          `Could not kill ${r.refused.length} process(es) of the task (not the worker's to signal): ${r.refused.join(', ')}`,
        );
      }
    } catch (e) {
      record(
        new TaskError('internal-error', `Could not stop the processes the task left running: ${(e as Error).message}`),
      );
    }
  }

  log.close();
  await reclaimer.stop();
  const result: RunResult = { taskId, runId, resolution: 'completed', reclaims: reclaimer.reclaims };
  try {
    if (abortReason instanceof RunLost) {
      result.resolution = 'lost';
    } else if (!firstError) {
      await credentials.queue.reportCompleted(taskId, String(runId));
    } else if (firstError.reason === 'failed') {
      result.resolution = 'failed';
      result.reason = 'failed';
      await credentials.queue.reportFailed(taskId, String(runId));
    } else {
      result.resolution = 'exception';
      result.reason = firstError.reason;
      await credentials.queue.reportException(taskId, String(runId), { reason: firstError.reason });
    }
  } catch (e) {
    // Already resolved elsewhere (e.g. cancelled between the last reclaim and now): log, keep serving.
    logger.warn({ taskId, runId, err: (e as Error).message }, 'Not updating status of task: report call failed');
  }
  logger.info({ taskId, runId, resolution: result.resolution, reason: result.reason }, 'task resolved');
  return result;
}
