// The claim loop (generic-worker-behaviour.md §8.1, §6.1): claimWork with the permanent credentials
// (one task at a time), run it, repeat; sleep between empty polls. Exit 0 when numberOfTasksToRun is
// reached, 68 after idleTimeoutSecs without a claim, 71 after SIGINT (current task finished first), 72 after
// SIGTERM (running task aborted with exception/worker-shutdown), 69 on an internal error, 77 when tasks
// would run as other OS users while they could read the config or a key file.
// The worker keeps its own scratch files (gzip before upload) in a private directory in tasksDir, the
// disk it keeps free between tasks, not in the TMPDIR tasks are given; it goes when the worker exits.
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { redactConfig, type ResolvedConfig, secureSecretFiles } from './config.ts';
import { ExitCode, ExitError } from './exit-codes.ts';
import { createFeatures, type WorkerFeature } from './features/index.ts';
import { freeDiskSpaceBeforeClaim } from './features/mounts.ts';
import { NotEnoughDiskSpace } from './mounts/disk-space.ts';
import type { Platform } from './platform/platform.ts';
import { SCRATCH_PREFIX } from './sandbox/leftovers.ts';
import { writeOwner } from './sandbox/owner.ts';
import { claimWork, newQueue, permanentCredentials, type QueueClient } from './queue.ts';
import { TerminationCheck } from './should-terminate.ts';
import { type RunResult, runTask, type TaskClaim, type WorkerLogger } from './task-run.ts';

export interface WorkerOptions {
  config: ResolvedConfig;
  platform: Platform;
  logger: WorkerLogger;
  features?: WorkerFeature[];
}

export class Worker {
  private readonly cfg: ResolvedConfig;
  private readonly platform: Platform;
  private readonly logger: WorkerLogger;
  private readonly features: WorkerFeature[];
  private readonly queue: QueueClient;
  readonly events = new EventEmitter();
  private stopReason: 'sigint' | 'sigterm' | undefined;
  private wake: (() => void) | undefined;
  /** Aborts an in-flight claimWork long poll when the worker is told to stop. */
  private claiming: AbortController | undefined;
  readonly results: RunResult[] = [];

  constructor(o: WorkerOptions) {
    this.cfg = o.config;
    this.platform = o.platform;
    this.logger = o.logger;
    this.features = o.features ?? createFeatures();
    this.queue = newQueue(o.config.rootUrl, permanentCredentials(o.config));
  }

  /** SIGINT: stop claiming, let the current task finish, exit 71. */
  interrupt(): void {
    this.stopReason ??= 'sigint';
    this.logger.warn('interrupt received: finishing the current task, then exiting (71)');
    this.claiming?.abort();
    this.wake?.();
  }

  /** SIGTERM: stop claiming, abort running tasks with exception/worker-shutdown, exit 72. */
  terminate(): void {
    this.stopReason = 'sigterm';
    this.logger.warn('termination requested: aborting running tasks (worker-shutdown), then exiting (72)');
    this.events.emit('shutdown');
    this.claiming?.abort();
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((r) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        r();
      }
      this.wake = done;
    }).then(() => {
      this.wake = undefined;
    });
  }

  private stopCode(): number {
    return this.stopReason === 'sigterm' ? ExitCode.WORKER_SHUTDOWN : ExitCode.WORKER_STOPPED;
  }

  /** Runs until one of the exit conditions; returns the process exit code. */
  async run(): Promise<number> {
    const cfg = this.cfg;
    this.logger.info({ config: redactConfig(cfg) }, 'worker starting');
    try {
      if (!cfg.runTasksAsCurrentUser) await this.secureSecrets();
      for (const d of [cfg.tasksDir, cfg.cachesDir, cfg.downloadsDir]) await mkdir(resolve(d), { recursive: true });
      for (const f of this.features) await f.initialise?.(cfg);
    } catch (e) {
      if (!(e instanceof ExitError)) throw e;
      this.logger.error({ exitCode: e.exitCode }, e.message);
      return e.exitCode;
    }
    // After the start-up purge (sandbox feature), which removes dead workers' scratch directories.
    const scratchDir = await mkdtemp(join(resolve(cfg.tasksDir), SCRATCH_PREFIX));
    try {
      await writeOwner(scratchDir);
      return await this.loop(scratchDir);
    } finally {
      await rm(scratchDir, { recursive: true, force: true }).catch(() => {});
    }
  }

  /** The config and key files, private to the worker before any task runs as another user (exit 77). */
  private async secureSecrets(): Promise<void> {
    const posix = this.platform.os !== 'windows';
    const uid = process.getuid?.();
    const isPrivate = posix
      ? async (file: string) => {
          const st = await stat(file);
          return (st.mode & 0o077) === 0 && (uid === undefined || st.uid === uid);
        }
      : undefined;
    const changed = await secureSecretFiles(this.cfg, (f) => this.platform.makePrivate(f), isPrivate);
    for (const file of changed) {
      this.logger.warn({ file }, `made ${file} private to the worker's user (mode 0600) so task users cannot read it`);
    }
  }

  private async loop(scratchDir: string): Promise<number> {
    const cfg = this.cfg;

    const taskQueueId = `${cfg.provisionerId}/${cfg.workerType}`;
    const termination = new TerminationCheck(cfg);
    let done = 0;
    let claimErrors = 0;
    let lastActive = Date.now();
    for (;;) {
      if (this.stopReason) return this.stopCode();
      if (cfg.numberOfTasksToRun > 0 && done >= cfg.numberOfTasksToRun) {
        this.logger.info({ tasks: done }, 'numberOfTasksToRun reached');
        return ExitCode.TASKS_COMPLETE;
      }
      // Between tasks: platform duties (e.g. Windows task-user logon → 67), then the manager's verdict (70).
      const platformExit = await this.platform.betweenTasks?.(cfg);
      if (platformExit !== undefined) {
        this.logger.warn({ exitCode: platformExit }, 'platform requires the worker to exit');
        return platformExit;
      }
      if (await termination.due((e) => this.logger.warn({ err: e.message }, 'could not ask should-terminate'))) {
        this.logger.warn('worker manager says this worker should terminate');
        return ExitCode.WORKER_MANAGER_SHUTDOWN;
      }
      // requiredDiskSpaceMegabytes: evict download caches, then caches; generic-worker 11 panics (69) if short.
      try {
        const gc = await freeDiskSpaceBeforeClaim(cfg);
        if (gc.evictedDownloads.length + gc.evictedCaches.length > 0) this.logger.info(gc, 'freed disk space');
      } catch (e) {
        if (!(e instanceof NotEnoughDiskSpace)) throw e;
        this.logger.error({ err: e.message }, e.message);
        return ExitCode.INTERNAL_ERROR;
      }
      let claims: TaskClaim[] = [];
      this.claiming = new AbortController();
      try {
        const res = await claimWork(
          this.queue,
          permanentCredentials(cfg),
          taskQueueId,
          { tasks: 1, workerGroup: cfg.workerGroup, workerId: cfg.workerId },
          this.claiming.signal,
        );
        claims = res?.tasks ?? [];
        claimErrors = 0;
      } catch (e) {
        if (this.stopReason) return this.stopCode();
        claimErrors++;
        this.logger.error({ err: (e as Error).message }, 'Could not claim work');
      } finally {
        this.claiming = undefined;
      }
      for (const claim of claims) {
        if (this.stopReason) {
          // Claimed while stopping: hand it straight back so the Queue retries it elsewhere.
          await this.giveBack(claim);
          continue;
        }
        this.logger.info({ taskId: claim.status.taskId, runId: claim.runId }, 'task claimed');
        try {
          const result = await runTask(claim, {
            config: cfg,
            platform: this.platform,
            features: this.features,
            workerEvents: this.events,
            logger: this.logger,
            shuttingDown: () => this.stopReason === 'sigterm',
            scratchDir,
          });
          this.results.push(result);
        } catch (e) {
          // Setting the run up failed (task directory, log file): current generic-worker resolves it
          // exception/internal-error and keeps serving (11.0.1 exited 69).
          this.logger.error(
            { taskId: claim.status.taskId, err: (e as Error)?.stack ?? String(e) },
            'task setup failed',
          );
          await this.giveBack(claim, 'internal-error');
        }
        done++;
        lastActive = Date.now();
      }
      if (claims.length > 0) continue;
      if (this.stopReason) return this.stopCode();
      if (cfg.idleTimeoutSecs > 0 && Date.now() - lastActive >= cfg.idleTimeoutSecs * 1000) {
        this.logger.warn({ idleTimeoutSecs: cfg.idleTimeoutSecs }, 'idle timeout reached');
        if (cfg.shutdownMachineOnIdle) await this.platform.shutdown('tc-worker idle timeout');
        return ExitCode.IDLE_TIMEOUT;
      }
      // Back off exponentially while claimWork keeps failing (5xx, network), capped at a minute.
      await this.sleep(Math.min(60_000, cfg.claimWorkIntervalSecs * 1000 * 2 ** Math.min(claimErrors, 8)));
    }
  }

  private async giveBack(
    claim: TaskClaim,
    reason: 'worker-shutdown' | 'internal-error' = 'worker-shutdown',
  ): Promise<void> {
    try {
      const q = newQueue(this.cfg.rootUrl, claim.credentials);
      await q.reportException(claim.status.taskId, String(claim.runId), { reason });
    } catch (e) {
      this.logger.error({ taskId: claim.status.taskId, err: (e as Error).message }, 'could not give back task');
    }
  }
}
