// A case resolved once, up front, into everything its run needs: the worker's config, the files the
// mock serves, the fault rules, the task definitions, the command, environment, signals and the
// expectations, each with every placeholder expanded. A placeholder the runner does not know is
// refused here (a PlanError naming the field), before anything starts. run-case.ts then executes,
// observes and judges the plan; `tc-conformance --list --plan` prints it.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import slugid from 'slugid';
import { platformName } from './cases.ts';
import { expectFor } from './judge.ts';
import { PORTS_PER_CASE, type PlaceholderRules, placeholderProblems } from './placeholders.ts';
import { commandFor, expandDeep, KIT_DIR } from './profiles.ts';
import type { CaseExpect, FixtureCase, LoadedCase, Profile, SignalStep, TaskExpectation } from './types.ts';

export const PROVISIONER_ID = 'tc-kit';
export const WORKER_GROUP = 'tc-kit';
export const DEFAULT_TIMEOUT_SECS = 60;
export const DEFAULT_IDLE_TIMEOUT_SECS = 20;
const DEFAULT_DEADLINE_SECS = 60 * 60;

/** What the run gives every case: the mock's address, the worker's credentials and keys, the run's dirs. */
export interface PlanEnv {
  profile: Profile;
  rootUrl: string;
  workerClient: { clientId: string; accessToken: string };
  keys: { openpgp: string; ed25519: string };
  runDir: string;
  filesDir: string;
}

export interface TaskPlan {
  alias: string;
  taskId: string;
  /** The task as createTask receives it: defaults, the fixture's task, placeholders expanded. */
  definition: Record<string, any>;
  expect?: TaskExpectation;
}

export interface CasePlan {
  id: string;
  slug: string;
  /** The case's temp dir: the worker's cwd, with tasks/, caches/ and downloads/. */
  caseDir: string;
  dirs: string[];
  /** Every placeholder of the case and its value. */
  vars: Record<string, string>;
  ports: number[];
  /** Files the mock serves under ${FILES_URL}: absolute path and content. */
  files: Array<{ path: string; content: Buffer }>;
  /** The config the worker is judged with (also in the Observation). */
  config: Record<string, unknown>;
  /** What is written to ${CONFIG}: the config as JSON, or setup.configRaw; absent with setup.noConfigFile. */
  configFile?: { path: string; text: string };
  /** Fault rules, confined to the case (scopeFault). */
  faults: unknown[];
  supersedes: Array<{ taskId: string; supersedes: string[] }>;
  claimTimeout?: { taskQueueId: string; seconds: number };
  /** In creation order: `tasks[]`, then the main task. */
  tasks: TaskPlan[];
  mainTaskId?: string;
  argv: string[];
  /** Added to the worker's environment (the runner's TASKCLUSTER_* variables are removed). */
  env: Record<string, string>;
  signals: SignalStep[];
  /** setup.host.alongside.whenFile: once it exists a second worker starts (fault-env.ts). */
  alongsideWhenFile?: string;
  timeoutMs: number;
  liveLog?: { setup: { until: string; touch?: string }; taskId: string; name: string };
  expect: CaseExpect;
  /** Expectations of the tasks other than the main one, by alias. */
  perTask: Record<string, TaskExpectation>;
  /** What checkers judge (spec/types.ts CaseExpectation), without the taskIds the observation adds. */
  caseForCheckers: Record<string, unknown>;
}

/** A case that cannot be resolved: an unknown placeholder, a bad setup value. The case is errored. */
export class PlanError extends Error {}

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

/** The case's temp dir in a run: the worker's cwd, with tasks/, caches/ and downloads/. */
export function caseDirOf(runDir: string, slug: string): string {
  return join(runDir, 'cases', slug);
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
  // Then what the profile says a case requiring each tag needs (e.g. how its worker enters its OS-user sandbox).
  for (const tag of f.requires ?? []) Object.assign(config, expandDeep(profile.configForRequires?.[tag] ?? {}, vars));
  for (const [k, v] of Object.entries(expandDeep(f.setup?.config ?? {}, vars))) {
    // null removes a key, so a case can leave out a required property.
    if (v === null) delete config[k];
    else config[k] = v;
  }
  return config;
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

/**
 * The case's placeholders. `extra` (e.g. a runner module's host fixtures) adds names of its own,
 * which the plan then knows too.
 */
export function caseVars(
  env: PlanEnv,
  f: FixtureCase,
  caseDir: string,
  workerIndex: number,
  taskIds: Array<{ alias: string; taskId: string }>,
  ports: number[],
  extra: Record<string, string> = {},
): Record<string, string> {
  const slug = caseSlug(f.id);
  const vars: Record<string, string> = {
    ROOT_URL: env.rootUrl,
    FILES_URL: `${env.rootUrl}/fixture-files/${slug}`,
    PROVISIONER_ID,
    WORKER_TYPE: slug,
    TASK_QUEUE_ID: `${PROVISIONER_ID}/${slug}`,
    WORKER_GROUP,
    WORKER_ID: `worker-${workerIndex}`,
    CLIENT_ID: env.workerClient.clientId,
    ACCESS_TOKEN: env.workerClient.accessToken,
    WORK_DIR: caseDir,
    TASKS_DIR: join(caseDir, 'tasks'),
    CACHES_DIR: join(caseDir, 'caches'),
    DOWNLOADS_DIR: join(caseDir, 'downloads'),
    OPENPGP_KEY: env.keys.openpgp,
    ED25519_KEY: env.keys.ed25519,
    CONFIG: f.setup?.noConfigFile ? join(caseDir, 'no-such-config.json') : join(caseDir, 'worker-config.json'),
    NODE: process.execPath,
    KIT: KIT_DIR,
  };
  for (const t of taskIds) vars[`TASK_ID:${t.alias}`] = t.taskId;
  const main = taskIds.find((t) => t.alias === 'main') ?? taskIds[0];
  if (main) vars.TASK_ID = main.taskId;
  if (ports.length < PORTS_PER_CASE) throw new PlanError(`a case needs ${PORTS_PER_CASE} ports, got ${ports.length}`);
  ports.forEach((port, i) => {
    vars[`PORT:${i}`] = String(port);
  });
  return { ...vars, ...extra };
}

/** The case's tasks with fresh taskIds, in creation order (dependencies first, the main task last). */
export function caseTaskIds(f: FixtureCase): Array<{ alias: string; taskId: string }> {
  const out = (f.tasks ?? []).map((t) => ({ alias: t.alias, taskId: slugid.nice() }));
  if (f.task) out.push({ alias: 'main', taskId: slugid.nice() });
  return out;
}

/** Refuses the case when a field uses a placeholder the plan does not define. */
function refuseUnknown(f: FixtureCase, vars: Record<string, string>, aliases: string[]): void {
  const known = new Set(Object.keys(vars));
  const strict: PlaceholderRules = { env: false, known, aliases };
  // Task definitions and expectations hold shell text and log lines: `${VAR}` of the task's own is kept.
  const shell: PlaceholderRules = { ...strict, shell: true };
  const problems = [
    ...placeholderProblems(f.setup, '/setup', strict),
    ...placeholderProblems(f.task, '/task', shell),
    ...placeholderProblems(f.tasks, '/tasks', shell),
    ...placeholderProblems(f.payloadByPlatform, '/payloadByPlatform', shell),
    ...placeholderProblems(f.expect, '/expect', shell),
    ...placeholderProblems(f.expectByGeneration, '/expectByGeneration', shell),
  ];
  if (problems.length > 0) {
    const [first] = problems;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw new PlanError(`${first!.pointer}: ${first!.message}${more}`);
  }
}

function taskDefinition(
  env: PlanEnv,
  f: FixtureCase,
  slug: string,
  alias: string,
  given: Record<string, any>,
  groupId: string,
  now: number,
): Record<string, any> {
  const iso = (ms: number) => new Date(ms).toISOString();
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
      name: `${f.id}${alias === 'main' ? '' : ` (${alias})`}`,
      description: f.description,
      owner: 'tc-kit@example.com',
      source: `${env.rootUrl}/fixtures/${f.id}`,
      ...((given.metadata as object | undefined) ?? {}),
    },
  };
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
  throw new PlanError(`/setup/files/${rel}: expected a string or {base64 | text | json}`);
}

export interface PlanInputs {
  workerIndex: number;
  ports: number[];
  /** From caseTaskIds(): given by the caller so that runner modules can know the ids first. */
  taskIds?: Array<{ alias: string; taskId: string }>;
  /** Placeholders added by runner modules (host fixtures). */
  extraVars?: Record<string, string>;
}

/** Resolves a case into its plan; throws PlanError (or UsageError for a missing worker program). */
export function resolvePlan(env: PlanEnv, lc: LoadedCase, inputs: PlanInputs): CasePlan {
  const f = lc.fixture;
  const profile = env.profile;
  const slug = caseSlug(f.id);
  const caseDir = caseDirOf(env.runDir, slug);
  const ids = inputs.taskIds ?? caseTaskIds(f);
  const vars = caseVars(env, f, caseDir, inputs.workerIndex, ids, inputs.ports, inputs.extraVars);
  refuseUnknown(
    f,
    vars,
    ids.map((t) => t.alias),
  );
  const x = <T>(v: T): T => expandDeep(v, vars);

  const filesRoot = join(env.filesDir, slug);
  const files = Object.entries(f.setup?.files ?? {}).map(([rel, content]) => {
    const path = join(filesRoot, rel);
    if (!path.startsWith(filesRoot)) throw new PlanError(`/setup/files/${rel}: the path leaves the files dir`);
    return { path, content: fileContent(x(content), rel) };
  });

  const config = caseConfig(profile, f, vars, ids.length);
  const raw = f.setup?.configRaw;
  const configFile = f.setup?.noConfigFile
    ? undefined
    : { path: vars.CONFIG!, text: raw !== undefined ? x(raw) : JSON.stringify(config, null, 2) };

  const taskIdList = ids.map((t) => t.taskId);
  const faults = (f.setup?.faults ?? []).flatMap((rule) => scopeFault(x(rule), slug, taskIdList));
  const supersedes = Object.entries(f.setup?.supersedes ?? {}).map(([alias, list]) => {
    const taskId = vars[`TASK_ID:${alias}`];
    if (!taskId) throw new PlanError(`/setup/supersedes/${alias}: no task has the alias ${JSON.stringify(alias)}`);
    return { taskId, supersedes: x(list) };
  });
  const claimTimeoutSecs = f.setup?.queue?.claimTimeoutSecs;
  const claimTimeout =
    claimTimeoutSecs === undefined ? undefined : { taskQueueId: vars.TASK_QUEUE_ID!, seconds: claimTimeoutSecs };

  const main = ids.find((t) => t.alias === 'main') ?? ids[0];
  const groupId = main?.taskId ?? slugid.nice();
  const now = Date.now();
  // The main task as the fixture gives it (with the platform's payload), expanded: also what checkers read as c.task.
  const payload = f.payloadByPlatform?.[platformName()];
  const mainGiven = f.task ? x(payload ? { ...f.task, payload } : f.task) : undefined;
  const tasks: TaskPlan[] = ids.map(({ alias, taskId }) => {
    const fixtureTask = alias === 'main' ? undefined : f.tasks?.find((t) => t.alias === alias);
    const given = fixtureTask ? x(fixtureTask.task ?? {}) : (mainGiven ?? {});
    return {
      alias,
      taskId,
      definition: taskDefinition(env, f, slug, alias, given, groupId, now),
      expect: fixtureTask?.expect ? x(fixtureTask.expect) : undefined,
    };
  });
  const mainPlan = tasks.find((t) => t.alias === 'main') ?? tasks[0];

  const argv = commandFor(profile, vars, f.setup?.args ? x(f.setup.args) : undefined);
  const timeoutMs = (typeof f.timeoutSecs === 'number' ? f.timeoutSecs : DEFAULT_TIMEOUT_SECS) * 1000;
  const liveLog =
    f.setup?.liveLog && mainPlan
      ? {
          setup: x(f.setup.liveLog),
          taskId: mainPlan.taskId,
          name: String(mainPlan.definition.payload?.logs?.live ?? 'public/logs/live.log'),
        }
      : undefined;

  const expect = x(expectFor(f, profile.generation));
  const perTask: Record<string, TaskExpectation> = {};
  for (const t of tasks) if (t.expect && t !== mainPlan) perTask[t.alias] = t.expect;
  const caseForCheckers = {
    ...f,
    kind: f.kind ?? (tasks.length > 0 ? 'task' : 'worker'),
    task: mainGiven,
    tasks: f.tasks ? x(f.tasks) : undefined,
    setup: f.setup ? x(f.setup) : undefined,
    expect,
  };

  return {
    id: f.id,
    slug,
    caseDir,
    dirs: ['tasks', 'caches', 'downloads'].map((d) => join(caseDir, d)),
    vars,
    ports: inputs.ports,
    files,
    config,
    configFile,
    faults,
    supersedes,
    claimTimeout,
    tasks,
    mainTaskId: mainPlan?.taskId,
    argv,
    env: x(f.setup?.env ?? {}),
    signals: x(f.setup?.signals ?? []),
    alongsideWhenFile: f.setup?.host?.alongside ? x(f.setup.host.alongside.whenFile) : undefined,
    timeoutMs,
    liveLog,
    expect,
    perTask,
    caseForCheckers,
  };
}
