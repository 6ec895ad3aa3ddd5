// The claim loop (generic-worker-behaviour.md §8.1, §6.1; v106 main.go RunWorker): claimWork with the
// worker's own credentials for as many tasks as there are free slots (config capacity) and numberOfTasksToRun
// leaves, run each in the background in its own slot, repeat; sleep between empty polls, and wait for a
// task to end while every slot is busy. Exit 0 when numberOfTasksToRun tasks (all slots together) are
// resolved, 68 after idleTimeoutSecs with no task running and none claimed, 71 after SIGINT (running tasks
// finished first), 72 after SIGTERM or worker-runner's graceful termination (running tasks aborted with
// exception/worker-shutdown, or finished when the runner allows it), 70 when worker-manager says so,
// 69 on an internal error, 77 when tasks would run as other OS users while they could read the config or
// a key file. Under worker-runner (`managed`) worker-manager is asked on every pass, at the idle timeout
// (no exit while it still wants the worker) and after numberOfTasksToRun, as v106 does.
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
import { claimWork, newQueue, permanentCredentials, type QueueClient, type TcCredentials } from './queue.ts';
import { TerminationCheck } from './should-terminate.ts';
import { type RunResult, runTask, type TaskClaim, type WorkerLogger } from './task-run.ts';

export interface WorkerOptions {
  config: ResolvedConfig;
  platform: Platform;
  logger: WorkerLogger;
  features?: WorkerFeature[];
  /** Started by worker-runner: worker-manager decides on idle timeout and after numberOfTasksToRun. */
  managed?: boolean;
  /** How the machine is shut down (idle with shutdownMachineOnIdle); worker-runner's `shutdown` message when negotiated. */
  shutdownMachine?: (reason: string) => Promise<void>;
}

export class Worker {
  private readonly cfg: ResolvedConfig;
  private readonly platform: Platform;
  private readonly logger: WorkerLogger;
  private readonly features: WorkerFeature[];
  /** Signed with `credentials`; rebuilt when worker-runner renews them. */
  private queue: QueueClient;
  private readonly capacity: number;
  private readonly managed: boolean;
  private readonly shutdownMachine: (reason: string) => Promise<void>;
  /** The worker's own credentials (claimWork, shouldWorkerTerminate); worker-runner may replace them. */
  private credentials: TcCredentials;
  /** The slot of each running task, by the promise that settles once the task is resolved. */
  private readonly running = new Map<Promise<void>, number>();
  readonly events = new EventEmitter();
  /** sigint: finish running tasks, exit 71; finish: the same, exit 72 (worker-runner); sigterm: abort them, exit 72. */
  private stopReason: 'sigint' | 'finish' | 'sigterm' | undefined;
  private wake: (() => void) | undefined;
  /** Aborts an in-flight claimWork long poll when the worker is told to stop. */
  private claiming: AbortController | undefined;
  readonly results: RunResult[] = [];

  constructor(o: WorkerOptions) {
    this.cfg = o.config;
    this.platform = o.platform;
    this.logger = o.logger;
    this.features = o.features ?? createFeatures();
    this.credentials = permanentCredentials(o.config);
    this.queue = newQueue(o.config.rootUrl, this.credentials);
    this.capacity = Math.max(1, o.config.capacity ?? 1);
    this.managed = o.managed ?? false;
    this.shutdownMachine = o.shutdownMachine ?? ((reason) => this.platform.shutdown(reason));
  }

  /** SIGINT: stop claiming, let the running tasks finish, exit 71. */
  interrupt(): void {
    this.stopReason ??= 'sigint';
    this.logger.warn('interrupt received: finishing the running tasks, then exiting (71)');
    this.claiming?.abort();
    this.wake?.();
  }

  /**
   * worker-runner's graceful-termination: stop claiming; with finishTasks the running tasks finish,
   * otherwise they are aborted exception/worker-shutdown (as SIGTERM); exit 72 either way (v106 main.go).
   */
  gracefulTermination(finishTasks: boolean): void {
    if (!finishTasks) {
      this.terminate();
      return;
    }
    if (this.stopReason) return;
    this.stopReason = 'finish';
    this.logger.warn('graceful termination requested: finishing the running tasks, then exiting (72)');
    this.claiming?.abort();
    this.wake?.();
  }

  /** worker-runner's new-credentials: later claimWork and shouldWorkerTerminate calls use them; runs keep theirs. */
  updateCredentials(credentials: TcCredentials): void {
    this.credentials = credentials;
    this.queue = newQueue(this.cfg.rootUrl, credentials);
    this.logger.info({ clientId: credentials.clientId }, 'worker credentials replaced (new-credentials)');
  }

  /** SIGTERM: stop claiming, abort running tasks with exception/worker-shutdown, exit 72. */
  terminate(): void {
    if (this.stopReason === 'sigterm') return;
    this.stopReason = 'sigterm';
    this.logger.warn('termination requested: aborting running tasks (worker-shutdown), then exiting (72)');
    this.events.emit('shutdown');
    this.claiming?.abort();
    this.wake?.();
  }

  /** Sleep `ms` (or until woken when undefined); a finished task or a stop request wakes it. */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise<void>((r) => {
      const t = ms === undefined ? undefined : setTimeout(done, ms);
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
    return this.stopReason === 'sigint' ? ExitCode.WORKER_STOPPED : ExitCode.WORKER_SHUTDOWN;
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

  /** How many more tasks may start: free slots, bounded by what numberOfTasksToRun leaves. */
  private claimable(resolved: number): number {
    const free = this.capacity - this.running.size;
    const n = this.cfg.numberOfTasksToRun;
    if (n <= 0) return free;
    return Math.max(0, Math.min(free, n - resolved - this.running.size));
  }

  /** Lowest slot no running task holds. */
  private freeSlot(): number {
    const held = new Set(this.running.values());
    let slot = 0;
    while (held.has(slot)) slot++;
    return slot;
  }

  private async drain(): Promise<void> {
    if (this.running.size === 0) return;
    this.logger.info({ running: this.running.size }, 'waiting for running tasks to be resolved');
    await Promise.all([...this.running.keys()]);
  }

  private async loop(scratchDir: string): Promise<number> {
    const cfg = this.cfg;

    const taskQueueId = `${cfg.provisionerId}/${cfg.workerType}`;
    const termination = new TerminationCheck(cfg, () => this.credentials, this.managed);
    const warnTermination = (e: Error) => this.logger.warn({ err: e.message }, 'could not ask should-terminate');
    let resolved = 0;
    let claimErrors = 0;
    let lastActive = Date.now();
    const start = (claim: TaskClaim) => {
      const slot = this.freeSlot();
      this.logger.info({ taskId: claim.status.taskId, runId: claim.runId, slot }, 'task claimed');
      const p: Promise<void> = this.runOne(claim, slot, scratchDir).finally(() => {
        this.running.delete(p);
        resolved++;
        lastActive = Date.now();
        this.wake?.();
      });
      this.running.set(p, slot);
    };
    for (;;) {
      if (this.stopReason) {
        await this.drain();
        return this.stopCode();
      }
      if (cfg.numberOfTasksToRun > 0 && resolved >= cfg.numberOfTasksToRun) {
        await this.drain();
        this.logger.info({ tasks: resolved }, 'numberOfTasksToRun reached');
        // Under worker-runner generic-worker asks worker-manager once more (main.go processCompletion).
        if (this.managed && (await termination.now(warnTermination))) {
          this.logger.warn('worker manager says this worker should terminate');
          return ExitCode.WORKER_MANAGER_SHUTDOWN;
        }
        return ExitCode.TASKS_COMPLETE;
      }
      // Between tasks: platform duties (e.g. Windows task-user logon → 67), then the manager's verdict (70).
      if (this.running.size === 0) {
        const platformExit = await this.platform.betweenTasks?.(cfg);
        if (platformExit !== undefined) {
          this.logger.warn({ exitCode: platformExit }, 'platform requires the worker to exit');
          return platformExit;
        }
      }
      if (await termination.due(warnTermination)) {
        this.logger.warn('worker manager says this worker should terminate');
        await this.drain();
        return ExitCode.WORKER_MANAGER_SHUTDOWN;
      }
      if (this.stopReason) continue;
      let want = this.claimable(resolved);
      // requiredDiskSpaceMegabytes: evict download caches, then caches; generic-worker 11 panics (69) if short.
      // With tasks running, v106 only skips this claim (they may free the space).
      if (want > 0) {
        try {
          const gc = await freeDiskSpaceBeforeClaim(cfg);
          if (gc.evictedDownloads.length + gc.evictedCaches.length > 0) this.logger.info(gc, 'freed disk space');
        } catch (e) {
          if (!(e instanceof NotEnoughDiskSpace)) throw e;
          this.logger.error({ err: e.message }, e.message);
          if (this.running.size === 0) return ExitCode.INTERNAL_ERROR;
          want = 0;
        }
      }
      let claims: TaskClaim[] = [];
      if (want > 0) {
        this.claiming = new AbortController();
        try {
          const res = await claimWork(
            this.queue,
            taskQueueId,
            { tasks: want, workerGroup: cfg.workerGroup, workerId: cfg.workerId },
            this.claiming.signal,
          );
          claims = res?.tasks ?? [];
          claimErrors = 0;
        } catch (e) {
          if (!this.stopReason) {
            claimErrors++;
            this.logger.error({ err: (e as Error).message }, 'Could not claim work');
          }
        } finally {
          this.claiming = undefined;
        }
      }
      for (const claim of claims) {
        if (this.stopReason) {
          // Claimed while stopping: hand it straight back so the Queue retries it elsewhere.
          await this.giveBack(claim);
          continue;
        }
        start(claim);
        lastActive = Date.now();
      }
      // More free slots and the Queue had work: ask again at once (a short answer long-polls next time).
      if (claims.length > 0 && this.claimable(resolved) > 0) continue;
      if (this.stopReason) continue;
      if (this.running.size === 0 && cfg.idleTimeoutSecs > 0 && Date.now() - lastActive >= cfg.idleTimeoutSecs * 1000) {
        // Under worker-runner, worker-manager decides (it may need this worker for minCapacity).
        if (this.managed && !(await termination.now(warnTermination))) {
          this.logger.info('idle timeout reached but worker manager says not to terminate: idle timer reset');
          lastActive = Date.now();
        } else {
          this.logger.warn({ idleTimeoutSecs: cfg.idleTimeoutSecs }, 'idle timeout reached');
          if (cfg.shutdownMachineOnIdle) await this.shutdownMachine('tc-worker idle timeout');
          return ExitCode.IDLE_TIMEOUT;
        }
      }
      if (this.claimable(resolved) === 0 && this.running.size > 0) {
        // Every slot is busy: nothing to do until a task is resolved (or the worker is stopped).
        await this.sleep(undefined);
        continue;
      }
      // Back off exponentially while claimWork keeps failing (5xx, network), capped at a minute.
      await this.sleep(Math.min(60_000, cfg.claimWorkIntervalSecs * 1000 * 2 ** Math.min(claimErrors, 8)));
    }
  }

  private async runOne(claim: TaskClaim, slot: number, scratchDir: string): Promise<void> {
    try {
      const result = await runTask(claim, {
        config: this.cfg,
        platform: this.platform,
        features: this.features,
        workerEvents: this.events,
        logger: this.logger,
        shuttingDown: () => this.stopReason === 'sigterm',
        scratchDir,
        slot,
      });
      this.results.push(result);
    } catch (e) {
      // Setting the run up failed (task directory, log file): current generic-worker resolves it
      // exception/internal-error and keeps serving (11.0.1 exited 69).
      this.logger.error({ taskId: claim.status.taskId, err: (e as Error)?.stack ?? String(e) }, 'task setup failed');
      await this.giveBack(claim, 'internal-error');
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
