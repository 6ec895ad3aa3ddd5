// Types the runner shares between its modules. The Observation and TraceEntry shapes are the spec's
// contract (decisions/0001), imported from spec/ rather than restated; the rest is the runner's own.

import type { WorkerRunnerSetup } from './worker-runner.ts';
import type { ExpectedArtifact, Generation, Observation, TextExpectation, TraceExpectation } from '../spec/types.ts';

export type { Generation, Observation, ObservedArtifact, ObservedTask, TraceEntry } from '../spec/types.ts';

// The fixture's expectation shapes are the spec's too (spec/types.ts), under the runner's names.
export type TextMatch = TextExpectation;
export type ArtifactExpectation = ExpectedArtifact;
export type { TraceExpectation } from '../spec/types.ts';

export interface RunExpectation {
  state?: string;
  reasonResolved?: string;
  reasonCreated?: string;
}

export interface TaskExpectation {
  runs?: RunExpectation[];
  log?: TextMatch;
  artifacts?: ArtifactExpectation[];
  /** What the refusal (exception/malformed-payload) is about: the log's explanation names every term. */
  refusal?: { about: string[] };
}

export interface CaseExpect extends TaskExpectation {
  exitCode?: number | number[] | null;
  signal?: string | null;
  stdout?: TextMatch;
  stderr?: TextMatch;
  /** stdout and stderr together: workers differ in which stream they log to. */
  output?: TextMatch;
  trace?: TraceExpectation[];
}

export interface SignalStep {
  signal: string;
  afterMs?: number;
  whenLogContains?: string;
  whenRoute?: string;
  /** Once this file exists (expanded, so ${MARKERS}/… works). */
  whenFile?: string;
}

/** One of several tasks of a case: `${TASK_ID:<alias>}` names its taskId in the others. */
export interface CaseTask {
  alias: string;
  task: Record<string, unknown>;
  expect?: TaskExpectation;
}

/** A fixture case as read from disk (schemas/fixture.schema.json); unknown fields are kept. */
export interface FixtureCase {
  id: string;
  description: string;
  statements: string[];
  level?: 'MUST' | 'SHOULD' | 'MAY';
  generations?: Generation[];
  platforms?: string[];
  requires?: string[];
  kind?: 'task' | 'worker';
  task?: Record<string, unknown>;
  tasks?: CaseTask[];
  /** A payload replacing task.payload on that platform (linux, darwin, windows). */
  payloadByPlatform?: Record<string, Record<string, unknown>>;
  setup?: {
    files?: Record<string, unknown>;
    faults?: unknown[];
    signals?: SignalStep[];
    config?: Record<string, unknown>;
    configRaw?: string;
    noConfigFile?: boolean;
    supersedes?: Record<string, string[]>;
    /** Run the worker with these arguments instead of its run target (CLI cases). */
    args?: string[];
    /** Environment variables added to the worker process. */
    env?: Record<string, string>;
    /** Queue settings for the case: its task queue's claim timeout, its tasks' deadline from creation. */
    queue?: { claimTimeoutSecs?: number; deadlineSecs?: number };
    /** Host fixtures and a second worker run (conformance/fault-env.ts). */
    host?: { smallFs?: { at: 'tasks' | 'scratch'; mb: number }; restart?: true; alongside?: { whenFile: string } };
    /** Read the main task's live log while it runs (conformance/live-log-probe.ts). */
    liveLog?: { until: string; touch?: string };
    /** Start the worker as worker-runner does and speak the protocol with it (conformance/worker-runner.ts). */
    workerRunner?: WorkerRunnerSetup;
    [k: string]: unknown;
  };
  expect?: CaseExpect;
  expectByGeneration?: Partial<Record<Generation, CaseExpect>>;
  timeoutSecs?: number;
  comment?: string;
  [k: string]: unknown;
}

export interface LoadedCase {
  fixture: FixtureCase;
  /** File the case came from. */
  file: string;
  /** Validation problem with the file; the case is reported as errored. */
  invalid?: string;
}

export interface Profile {
  name: string;
  /** argv; placeholders ${NODE}, ${KIT}, ${CONFIG}, ${env:NAME|default}. */
  command: string[];
  /** argv prefix that starts the worker program (for CLI cases); default: `command` up to "run". */
  program?: string[];
  configTemplate: Record<string, unknown>;
  generation: Generation;
  platforms?: string[];
  /** requires-tags this worker cannot meet whatever the machine (cases needing them are skipped). */
  unsupported?: string[];
  /**
   * Config a case that requires a tag needs from this worker, by tag (e.g. how the worker is put into
   * its OS-user sandbox for `os-users` cases); applied after the runner's defaults, before setup.config.
   */
  configForRequires?: Record<string, Record<string, unknown>>;
  /** Where the profile came from (built-in name or file path). */
  source?: string;
}

export type Status = 'pass' | 'fail' | 'expected-fail' | 'unexpected-pass' | 'skipped' | 'errored';

export interface CheckRecord {
  statement: string;
  ok: boolean | null;
  message: string;
}

export interface CaseRecord {
  id: string;
  description: string;
  file: string;
  area: string;
  statements: string[];
  level?: string;
  /** Verdict before the baseline: pass, fail, errored or skipped. */
  outcome: 'pass' | 'fail' | 'errored' | 'skipped';
  status: Status;
  expected: 'pass' | { fail: string };
  reason?: string;
  durationMs: number;
  exitCode?: number | null;
  signal?: string | null;
  /** The last lines of the worker's stderr (else stdout) when the case failed and the worker made no Queue call. */
  workerOutputTail?: string[];
  /** Problems found by the fixture's expect block. */
  expectFailures: string[];
  checks: CheckRecord[];
  observation?: Observation;
}
