// The contracts between the spec and its consumers (decisions/0001): what a statement is,
// what a run recorded (Observation), and what a checker returns. Types only, no behaviour.

/** One HTTP exchange recorded by the mock (both transports produce the same shape). */
export interface TraceEntry {
  seq: number;
  time: string;
  durationMs: number;
  service: 'queue' | 'object' | 'purge-cache' | 'store' | 'superseder' | 'files' | 'worker-manager';
  method: string;
  path: string;
  /** Taskcluster API method name, e.g. 'claimWork', 'reclaimTask', 'createArtifact', or 'storePut'. */
  route: string;
  clientId: string | null;
  taskId?: string;
  runId?: number;
  status: number;
  request: { query?: Record<string, string>; headers?: Record<string, string>; body?: unknown };
  response: { body?: unknown };
  fault?: string;
}

export interface ObservedArtifact {
  runId: number;
  name: string;
  storageType: string;
  contentType?: string;
  contentEncoding?: string;
  sha256?: string;
  /** Decoded content (after any Content-Encoding was undone). */
  body?: Buffer;
  /** Size of the decoded content in bytes, when downloaded. */
  size?: number;
  /** Error artifacts: the reason and message the worker gave. */
  reason?: string;
  message?: string;
  /** Reference / link artifacts: where they point. */
  url?: string;
}

export interface ObservedTask {
  definition: any;
  /** Queue status structure with runs. */
  status: any;
  artifacts: ObservedArtifact[];
  /** Decoded public/logs/live_backing.log of the last run. */
  log?: string;
}

/** Host facts for the runner invariants (spec/security/invariants.ts), gathered when the last worker exited. */
export interface ObservedHost {
  /** Processes of the case's tasks still running then: from marker pid files, or (Linux) any process whose environment names one of the case's taskIds. */
  leftover: Array<{ pid: number; what: string }>;
  /** How processes were looked for: every process's environment (Linux /proc), or the marker pid files only. */
  processScan: 'environ' | 'markers';
  /** Entries named tc-kit-escape* found outside every task directory and cache. */
  escapes: string[];
  /** Files the runner planted (root-owned victim, root-only sentinel) that were changed, replaced or removed. */
  tampered: string[];
  /** The root-only sentinel's content: it must appear in no log, artifact or task environment. */
  sentinel: string;
  /** Entries of the tasks directory then. */
  taskDirs: string[];
}

/** What the runner read through a task's live log URL while the task ran (setup.liveLog). */
export interface ObservedLiveLog {
  /** The URL of the worker's `reference` live log artifact, once it was created. */
  url?: string;
  /** HTTP status of the GET. */
  status?: number;
  /** Text received (up to 1 MiB). */
  text: string;
  /** When setup.liveLog.until had arrived (ISO). */
  seenAt?: string;
  /** When the stream ended, if it ended before the worker exited (ISO). */
  endedAt?: string;
  /** Why nothing (more) could be read. */
  error?: string;
}

export type Generation = 'v11' | 'current';
export type Level = 'MUST' | 'SHOULD' | 'MAY';

/** What one case's run recorded; built by conformance/, read by checkers. */
export interface Observation {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** What the runner found on the host after the worker exited (conformance/fault-env.ts), when it looked. */
  host?: ObservedHost;
  /** Only this case's task queue / tasks. */
  trace: TraceEntry[];
  /** Keyed by taskId. */
  tasks: Record<string, ObservedTask>;
  config: Record<string, unknown>;
  profile: { name: string; generation: Generation };
  platform: NodeJS.Platform;
  /** alias -> taskId of the case's tasks (the main task is `main`). */
  aliases?: Record<string, string>;
  /** True when the runner had to kill the worker because it did not exit in time. */
  timedOut?: boolean;
  /**
   * The case's setup.signals steps whose condition never held while the worker ran, each saying which and
   * when the worker ended (conformance/run-case.ts); any of them fails the case (conformance/judge.ts).
   */
  signalsNotSent?: string[];
  /** The main task's live log as read while it ran, for cases with setup.liveLog. */
  liveLog?: ObservedLiveLog;
  /**
   * Secrets the runner handed the worker outside `config` (the private signing keys' material), for
   * the checkers that look for leaks (spec/lib/secrets.ts). Reports never show them.
   */
  secrets?: Array<{ what: string; value: string }>;
  /** What the runner/worker protocol carried, for cases with setup.workerRunner (conformance/worker-runner.ts). */
  workerRunner?: ObservedWorkerRunner;
}

/** One runner/worker protocol message (taskcluster tools/workerproto): `~{"type": …, …}` on one line. */
export interface ProtocolMessage {
  type: string;
  [k: string]: unknown;
}

/** The worker's side of a worker-runner session as the kit's runner saw it. */
export interface ObservedWorkerRunner {
  /** Capabilities offered in `welcome`. */
  offered: string[];
  /** When `welcome` was sent (ISO); absent when the worker exited first. */
  welcomeAt?: string;
  /** Everything the worker wrote on stdout before `welcome` was sent. */
  outputBeforeWelcome: string;
  /** Protocol messages from the worker, in order, with the mock trace's last seq when each arrived. */
  messages: Array<{ at: string; seq: number; message: ProtocolMessage }>;
  /** What the runner did after welcome: messages sent, and worker-manager answers changed. */
  sent: Array<{ at: string; seq: number; message?: ProtocolMessage; shouldTerminate?: boolean }>;
  /** stdout lines that were not protocol messages (log lines for the runner). */
  otherLines: string[];
  /** The client the runner put in the worker's config, and the one it renews to (new-credentials). */
  runnerClientId: string;
  renewedClientId: string;
  /** Problems of the runner itself (the mock refused a control call). */
  errors?: string[];
  /** `welcome` or steps the runner never sent before the worker exited (the case then fails). */
  stepsNotSent?: string[];
}

/** Expected resolution of one run. */
export interface ExpectedRun {
  state: 'pending' | 'running' | 'completed' | 'failed' | 'exception';
  reasonResolved?: string;
  reasonCreated?: string;
}

export interface ExpectedArtifact {
  name: string;
  storageType?: string;
  contentType?: string;
  /** null: no encoding was recorded. */
  contentEncoding?: string | null;
  sha256?: string;
  contentMatches?: string;
  contentContains?: string;
  absent?: boolean;
  /** For error artifacts: the expected reason. */
  reason?: string;
  runId?: number;
}

export interface TextExpectation {
  contains?: string[];
  notContains?: string[];
  matches?: string[];
  notMatches?: string[];
}

export interface TraceExpectation {
  route: string;
  minCount?: number;
  maxCount?: number;
  status?: number;
  /** A task alias (main or one of tasks[].alias). */
  task?: string;
}

export interface Expect {
  /** A list allows any of them; null means killed by a signal. */
  exitCode?: number | number[] | null;
  signal?: string | null;
  runs?: ExpectedRun[];
  log?: TextExpectation;
  artifacts?: ExpectedArtifact[];
  trace?: TraceExpectation[];
  stdout?: TextExpectation;
  stderr?: TextExpectation;
  /** stdout and stderr together, for workers that log to either. */
  output?: TextExpectation;
  /** The task is refused for this reason: its log's explanation names every term (spec/lib/refusal.ts). */
  refusal?: { about: string[] };
}

/**
 * The case a checker is judging: the fixture with `expect` already resolved for the
 * worker's generation (expectByGeneration merged over expect), placeholders substituted.
 */
export interface CaseExpectation {
  id: string;
  kind: 'task' | 'worker';
  statements: string[];
  level?: Level;
  /** The case's requires-tags: the runner has put the worker into the mode each names (e.g. os-users). */
  requires?: string[];
  expect: Expect;
  task?: any;
  tasks?: Array<{ alias: string; task: any; expect?: Pick<Expect, 'runs' | 'artifacts' | 'log' | 'refusal'> }>;
  setup?: Record<string, any>;
  /** alias -> taskId, the main task under 'main' (optional; checkers fall back to every task). */
  taskIds?: Record<string, string>;
}

export interface CheckResult {
  ok: boolean;
  message: string;
}

/** A checker; `null` means the observation does not exercise the statement. */
export type Checker = (obs: Observation, c: CaseExpectation) => CheckResult | null;

export interface Statement {
  id: string;
  area: string;
  level: Level;
  text: string;
  /** Upstream file and anchor, or seed section. */
  source: string[];
  generations: Generation[];
  /** When sources disagree: both, and which wins. */
  divergence?: string;
  check?: Checker;
  /**
   * The checker's rule in words: what it reads from the Observation and what makes it fail (rendered in
   * SPEC.md, so a harness in another language can reimplement it). Without one, spec/rules.ts gives it.
   */
  rule?: string;
  /** Platforms the statement applies to; absent = all. */
  platforms?: Array<'linux' | 'darwin' | 'windows'>;
  /** Who the statement binds: the worker (default) or the Queue (the mock is held to it). */
  subject?: 'worker' | 'queue';
  /** Why no fixture can exercise this statement, when none does. */
  untestable?: string;
}
