// The lifecycle every worker feature implements, after generic-worker's feature.go:
// a worker-lifetime Feature that decides whether it applies, and a per-task TaskFeature
// whose stop() always runs (in reverse start order) once start() has been called.

/** Taskcluster's reportException reasons a worker may use, plus `failed` for a failed run. */
export type ExceptionReason =
  | 'malformed-payload'
  | 'resource-unavailable'
  | 'internal-error'
  | 'intermittent-task'
  | 'worker-shutdown'
  | 'superseded';

/** Thrown by a feature or the executor to end the task with a given resolution. */
export class TaskError extends Error {
  readonly reason: ExceptionReason | 'failed';
  constructor(reason: ExceptionReason | 'failed', message: string) {
    super(message);
    this.reason = reason;
  }
}

/** How a task ended, as far as it is known when features stop. */
export interface Outcome {
  resolution: 'completed' | 'failed' | 'exception';
  reason?: ExceptionReason | 'failed';
  /** True when the run was aborted (cancel, maxRunTime, worker shutdown) rather than finishing. */
  aborted: boolean;
  exitCode?: number | null;
}

/**
 * Watches one command (e.g. the resource monitor): called as command `index` starts; the function it
 * returns is awaited once the command ended and gives extra lines for that command's result block.
 */
export type CommandWatcher = (index: number) => () => Promise<string[]>;

export interface TaskFeature {
  /** Each inner array is one alternative set of scopes, as generic-worker's scope expressions (AnyOf of AllOf). */
  requiredScopes?: string[][];
  /** Artifact names this feature creates itself; two features may not reserve the same name. */
  reservedArtifacts?: string[];
  start(): Promise<void>;
  stop(outcome: Readonly<Outcome>): Promise<void>;
}

export interface Feature<Config = unknown, Task = unknown, Context = unknown> {
  name: string;
  /** Names of features whose start() must run before this one's. */
  after?: string[];
  initialise?(config: Config): Promise<void>;
  /** true, or the reason the config disables it (quoted in malformed-payload when a task asks for it). */
  enabled(config: Config): true | string;
  /** Whether the task asks for it; always-on machinery (abort, max run time, command executor) returns true. */
  requested(task: Task): boolean;
  forTask(context: Context): TaskFeature;
}
