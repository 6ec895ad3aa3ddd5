// The oracle of the payload properties: for a payload, its task definition and the worker it goes to, whether a
// worker must accept it and, if not, which rules it breaks. Written from the spec statements and upstream
// generic-worker, never from the reference worker's code (nothing here imports reference/): ajv against the payload
// JSON Schema, then the rules a schema cannot express, then the checks features make before anything runs.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import draft6 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };

export type Os = 'linux' | 'darwin' | 'windows';
export type Generation = 'current' | 'v11';
/** Where a worker decides the rule: schema and payload rules before any feature starts; feature rules when the
 * feature that needs them is about to start (enabled in config, scopes, worker capabilities); upload rules after the
 * commands ran, when the Queue refuses an artifact (the run still resolves exception/malformed-payload). */
export type Stage = 'schema' | 'payload' | 'feature' | 'upload';

export interface TaskFacts {
  deadline: string;
  expires: string;
  dependencies: string[];
  scopes: string[];
}

export interface WorkerFacts {
  provisionerId: string;
  workerType: string;
  enableOSGroups: boolean;
  enableTaskclusterProxy: boolean;
  enableChainOfTrust: boolean;
  enableMounts: boolean;
  /** features.resourceMonitor is on unless a task sets it false: with this false such a task is refused. */
  enableResourceMonitor?: boolean;
  /** Config maxTaskRunTime (default 86400): the current generation's only cap on maxRunTime. */
  maxTaskRunTime?: number;
  /** Payload features this worker pool does not offer (interactive, loopbackAudio, loopbackVideo): a task that sets
   * one true is refused. A worker that does not implement one offers it nowhere (spec/features/). */
  notOffered?: string[];
  /** Groups of the OS user commands run as (tasks run as the worker's own user), and that user's name. */
  userGroups: string[];
  userName: string;
  /** Commands run as the worker's own user (insecure engine), who can read the signing key. */
  tasksRunAsWorkerUser: boolean;
}

export interface Broken {
  /** The rule: a spec statement id (schema errors: the statement the keyword belongs to). */
  rule: string;
  stage: Stage;
  /** Where in the payload, as a JSON pointer below the payload ('' for the payload itself). */
  at: string;
  detail: string;
}

/** `mayFail`: valid, but the run may end otherwise for these reasons (statement ids): mounts whose paths overlap are
 * placed in order, and one whose path is already taken fails the run (failed/failed, before the commands); two
 * artifacts with one name whose content types the oracle cannot tell apart (each guessed from a different extension)
 * may conflict at upload (exception/malformed-payload, after the commands). */
/** mayFail on an invalid verdict: a run-time failure that may come first (overlapping mounts are placed before the
 * features that start after mounts refuse the task). */
export type Verdict = { valid: true; mayFail?: string[] } | { valid: false; broken: Broken[]; mayFail?: string[] };

export interface Subject {
  os: Os;
  generation: Generation;
  payload: unknown;
  task: TaskFacts;
  worker: WorkerFacts;
}

const schemasDir = new URL('../../schemas/payload/', import.meta.url);

/** The schema a generation and OS is judged by (v11: this kit's data file derived from 11.0.1's YAML). */
export function schemaFile(os: Os, generation: Generation): string {
  const base = os === 'windows' ? 'windows' : 'posix';
  return generation === 'v11' ? `v11-${base}.json` : `${base}.json`;
}

export function loadSchema(os: Os, generation: Generation): Record<string, any> {
  return JSON.parse(readFileSync(new URL(schemaFile(os, generation), schemasDir), 'utf8'));
}

const compiled = new Map<string, ValidateFunction>();
function validator(os: Os, generation: Generation): ValidateFunction {
  const key = schemaFile(os, generation);
  let v = compiled.get(key);
  if (!v) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addMetaSchema(draft6);
    const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (a: Ajv) => void;
    addFormats(ajv);
    v = ajv.compile(loadSchema(os, generation));
    compiled.set(key, v);
  }
  return v;
}

/** The statement a schema error belongs to, so a shrunk failure can be filed under it. */
function schemaRule(e: ErrorObject): string {
  const p = e.instancePath;
  const k = e.keyword;
  if (p === '' && k === 'required') return 'payload.schema.required-fields';
  if (p === '' && k === 'additionalProperties') return 'payload.schema.no-additional-properties';
  if (p.startsWith('/env')) return 'payload.schema.env-strings';
  if (/^\/command(\/\d+)?$/.test(p) && k === 'minItems') return 'payload.schema.command-not-empty';
  if (p === '/maxRunTime') return 'payload.schema.max-run-time-bounds';
  if (p === '/features' && k === 'additionalProperties') return 'payload.features.unknown-rejected';
  if (/^\/onExitStatus\/retry\/\d+$/.test(p) && k === 'minimum') return 'payload.on-exit-status.retry-minimum';
  if (/^\/onExitStatus\/purgeCaches\/\d+$/.test(p) && k === 'minimum')
    return 'payload.on-exit-status.purge-caches-minimum';
  if (p === '/artifacts' && k === 'uniqueItems') return 'artifacts.duplicate.entry';
  if (/^\/artifacts\/\d+\/contentEncoding$/.test(p)) return 'artifacts.content-encoding.invalid';
  if (/^\/mounts\/\d+$/.test(p) && k === 'dependencies') return 'mounts.cache.content-needs-format';
  if (/^\/mounts\/\d+/.test(p)) return 'mounts.entry.unrecognised';
  if (p === '/osGroups' && k === 'maxItems') return 'payload.os-groups.unsupported-rejected';
  return 'payload.schema.validated-first';
}

// ---- Rules the schema cannot express (stage 'payload'): what a worker can tell from the payload and task alone.

/** Linux's MAX_ARG_STRLEN (32 pages): one argv or environment string, its terminating NUL included. */
const MAX_STRING_BYTES = 131_072;
/** Everything one command's argv and the payload env may take together: macOS's ARG_MAX (Linux's default is 2 MiB,
 * which leaves room for the worker's own inherited environment). */
const MAX_EXEC_BYTES = 1_048_576;
/** Windows: the longest value of one environment variable (SetEnvironmentVariable). */
const MAX_WINDOWS_VAR_CHARS = 32_767;
/** The Queue's artifact name rule: services/queue/src/api.js (v106) params.name. Content types too: the Queue's
 * post-artifact-request.yml caps them at 255 and they travel as an HTTP header (printable ASCII is safe on all). */
const PRINTABLE = /^[\x20-\x7e]+$/;
const ARCHIVES_EXTRACTED = ['zip', 'tar', 'tar.gz', 'tar.bz2', 'tar.xz', 'tar.zst'];

const bytes = (s: string) => Buffer.byteLength(s, 'utf8') + 1;
const ptr = (...parts: (string | number)[]) =>
  parts.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

interface Ctx {
  os: Os;
  generation: Generation;
  p: any;
  task: TaskFacts;
  out: Broken[];
  mayFail: Set<string>;
}
function breaks(c: Ctx, stage: Stage, rule: string, at: string, detail: string): void {
  c.out.push({ rule, stage, at, detail });
}

function commandRules(c: Ctx): void {
  const commands: unknown[] = c.p.command;
  commands.forEach((cmd, i) => {
    const argv = Array.isArray(cmd) ? (cmd as string[]) : [cmd as string];
    let total = 0;
    argv.forEach((arg, j) => {
      const at = Array.isArray(cmd) ? ptr('command', i, j) : ptr('command', i);
      if (arg.includes('\0')) breaks(c, 'payload', 'payload.command.no-nul', at, 'argument contains a NUL byte');
      if (c.os !== 'windows' && bytes(arg) > MAX_STRING_BYTES)
        breaks(c, 'payload', 'payload.command.size-limit', at, `argument of ${bytes(arg)} bytes`);
      total += bytes(arg);
    });
    const envTotal = Object.entries(c.p.env ?? {}).reduce((n, [k, v]) => n + bytes(`${k}=${v}`), 0);
    if (c.os !== 'windows' && total + envTotal > MAX_EXEC_BYTES)
      breaks(c, 'payload', 'payload.env.size-limit', ptr('command', i), 'argv and env together exceed ARG_MAX');
  });
}

function envRules(c: Ctx): void {
  const seen = new Map<string, string>();
  for (const [k, v] of Object.entries((c.p.env ?? {}) as Record<string, string>)) {
    const at = ptr('env', k);
    if (k === '' || k.includes('=') || k.includes('\0'))
      breaks(c, 'payload', 'payload.env.valid-name', at, 'name is empty or has "=" or NUL');
    if (c.os === 'windows') {
      const folded = k.toUpperCase();
      if (seen.has(folded)) breaks(c, 'payload', 'payload.env.valid-name', at, `same name as ${seen.get(folded)}`);
      seen.set(folded, k);
    }
    if (v.includes('\0')) breaks(c, 'payload', 'payload.env.no-nul', at, 'value contains a NUL byte');
    if (c.os === 'windows' ? v.length > MAX_WINDOWS_VAR_CHARS : bytes(`${k}=${v}`) > MAX_STRING_BYTES)
      breaks(c, 'payload', 'payload.env.size-limit', at, 'variable too long');
  }
}

function artifactRules(c: Ctx): void {
  const list: any[] = c.p.artifacts ?? [];
  const names = new Map<string, number>();
  const deadline = Date.parse(c.task.deadline);
  const expires = Date.parse(c.task.expires);
  // Names the log features upload: both workers skip a payload artifact of that name.
  const reserved = new Set(
    c.generation === 'current'
      ? [
          c.p.features?.liveLog === false ? '' : (c.p.logs?.live ?? 'public/logs/live.log'),
          c.p.features?.backingLog === false ? '' : (c.p.logs?.backing ?? 'public/logs/live_backing.log'),
        ]
      : ['public/logs/live.log', 'public/logs/live_backing.log'],
  );
  list.forEach((a, i) => {
    // "" is no name: both generic-worker versions publish the path then (artifacts.go 11.0.1, artifact_feature.go).
    const name: string = a.name || a.path.replace(/\\/g, '/');
    const at = ptr('artifacts', i, a.name ? 'name' : 'path');
    if (!PRINTABLE.test(name))
      breaks(c, 'payload', 'artifacts.name.printable', at, `name ${JSON.stringify(name)} is not printable ASCII`);
    if (a.contentType !== undefined && !(a.contentType.length <= 255 && PRINTABLE.test(a.contentType)))
      breaks(c, 'payload', 'artifacts.content-type.valid', ptr('artifacts', i, 'contentType'), 'not a header value');
    const j = names.get(name);
    if (j !== undefined && !reserved.has(name)) duplicate(c, list[j], j, a, i);
    names.set(name, i);
    if (a.expires !== undefined) {
      const e = Date.parse(a.expires);
      const eat = ptr('artifacts', i, 'expires');
      if (Number.isNaN(e)) breaks(c, 'payload', 'payload.artifact-expiry.parseable', eat, 'not a point in time');
      // 1 s of rounding before the deadline, as generic-worker allows (main.go 11.0.1, artifact_feature.go v106
      // Start); none after the task's expiry, which the Queue's createArtifact refuses.
      else if (e < deadline - 1000)
        breaks(c, 'payload', 'payload.artifact-expiry.before-deadline', eat, 'before deadline');
      else if (e > expires) breaks(c, 'payload', 'payload.artifact-expiry.after-task-expiry', eat, 'after expiry');
    }
  });
  if (c.generation === 'current') {
    for (const k of ['live', 'backing'] as const) {
      const n = c.p.logs?.[k];
      if (n !== undefined && !PRINTABLE.test(n))
        breaks(c, 'payload', 'artifacts.name.printable', ptr('logs', k), 'log name is not printable ASCII');
    }
    const live = c.p.logs?.live ?? 'public/logs/live.log';
    const backing = c.p.logs?.backing ?? 'public/logs/live_backing.log';
    if (live === backing && c.p.features?.liveLog !== false && c.p.features?.backingLog !== false)
      breaks(c, 'payload', 'logs.names.distinct', ptr('logs'), 'live and backing log have one name');
  }
}

/**
 * A second artifact with an earlier one's name (found by neither worker before the commands run). The Queue's
 * createArtifact takes the repeat when it is compatible (services/queue/src/artifacts.js createArtifactCallsCompatible:
 * same content type, expiry not shortened, same storage details — s3 artifacts of one name have the same), and that
 * upload replaces the other; otherwise it answers 409 and the worker resolves malformed-payload (generic-worker
 * artifacts.go classifyCreateArtifactError; statement artifacts.duplicate.conflicting-names). Two content types always
 * conflict. Two expiries conflict only if the later-expiring one is uploaded first, and generic-worker uploads up to 10
 * at once (artifact_feature.go Stop), so which one holds the name, and whether expiries conflict, is not specified.
 * Directory artifacts upload name/<file>, so only two files share a name; names a log feature reserves are skipped.
 */
function duplicate(c: Ctx, first: any, j: number, second: any, i: number): void {
  if (first.type !== 'file' || second.type !== 'file') return;
  const expiry = (a: any) => (a.expires === undefined ? Date.parse(c.task.expires) : Date.parse(a.expires));
  // Both workers guess a content type from the path's extension: one extension, one guess.
  const ext = (a: any) => /\.[^./\\]*$/.exec(a.path)?.[0]?.toLowerCase() ?? '';
  const [t1, t2] = [first.contentType as string | undefined, second.contentType as string | undefined];
  const sameType =
    t1 !== undefined && t2 !== undefined ? t1 === t2 : t1 === t2 && ext(first) === ext(second) ? true : undefined;
  if (sameType === false)
    breaks(c, 'upload', 'artifacts.duplicate.conflicting-names', ptr('artifacts', i), `content type of artifacts/${j}`);
  else if (sameType === undefined || expiry(first) !== expiry(second))
    c.mayFail.add('artifacts.duplicate.conflicting-names');
}

/** A mount target as path segments below the task directory, or why it is not one. */
function targetSegments(t: string): string[] | string {
  if (t === '') return 'empty';
  if (t.includes('\0')) return 'contains NUL';
  const n = t.replace(/\\/g, '/');
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) return 'absolute';
  const out: string[] = [];
  for (const s of n.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (out.length === 0) return 'leaves the task directory';
      out.pop();
    } else out.push(s);
  }
  if (out[0] === 'generic-worker') return "is inside the worker's own generic-worker directory";
  return out;
}

function mountRules(c: Ctx): void {
  const mounts: any[] = c.p.mounts ?? [];
  const targets: { i: number; segs: string[] }[] = [];
  const caches = new Map<string, number>();
  mounts.forEach((m, i) => {
    const key = 'cacheName' in m ? 'directory' : 'directory' in m ? 'directory' : 'file';
    const segs = targetSegments(m[key]);
    if (typeof segs === 'string') breaks(c, 'payload', 'mounts.target.inside-task-dir', ptr('mounts', i, key), segs);
    else if (segs.length === 0 && 'cacheName' in m)
      breaks(c, 'payload', 'mounts.target.inside-task-dir', ptr('mounts', i, key), 'is the task directory itself');
    else if (segs.length === 0)
      c.mayFail.add('mounts.target.overlap'); // a file or archive onto the task directory fails at run time
    else {
      for (const o of targets) {
        const [a, b] = o.segs.length <= segs.length ? [o.segs, segs] : [segs, o.segs];
        if (a.every((s, x) => s === b[x])) c.mayFail.add('mounts.target.overlap');
      }
      targets.push({ i, segs });
    }
    if ('cacheName' in m) {
      if (m.cacheName === '') breaks(c, 'payload', 'mounts.cache.name-valid', ptr('mounts', i, 'cacheName'), 'empty');
      const j = caches.get(m.cacheName);
      if (j !== undefined)
        breaks(c, 'payload', 'mounts.cache.name-once', ptr('mounts', i, 'cacheName'), `also mounts/${j}`);
      else caches.set(m.cacheName, i);
    }
    if (key === 'directory' && m.format !== undefined && !ARCHIVES_EXTRACTED.includes(m.format))
      breaks(c, 'payload', 'mounts.archive.supported-format', ptr('mounts', i, 'format'), m.format);
    if (m.content?.taskId !== undefined && !c.task.dependencies.includes(m.content.taskId))
      breaks(
        c,
        'payload',
        'mounts.file.dependency-required',
        ptr('mounts', i, 'content', 'taskId'),
        'not a dependency',
      );
  });
}

// ---- Feature checks (stage 'feature'), in the order generic-worker's features start.

function featureRules(c: Ctx, w: WorkerFacts): void {
  const scopes = new Set(c.task.scopes);
  const has = (s: string) => scopes.has(s) || [...scopes].some((x) => x.endsWith('*') && s.startsWith(x.slice(0, -1)));
  if (c.p.features?.taskclusterProxy === true && !w.enableTaskclusterProxy)
    breaks(c, 'feature', 'payload.features.disabled-rejected', ptr('features', 'taskclusterProxy'), 'taskclusterProxy');
  const groups: string[] = c.p.osGroups ?? [];
  if (groups.length > 0) {
    if (!w.enableOSGroups) breaks(c, 'feature', 'payload.features.disabled-rejected', ptr('osGroups'), 'osGroups');
    else {
      const missing = groups.filter((g) => !has(`generic-worker:os-group:${w.provisionerId}/${w.workerType}/${g}`));
      if (missing.length > 0) breaks(c, 'feature', 'payload.features.missing-scopes', ptr('osGroups'), 'os-group');
      // Not the group named as the user: generic-worker leaves it out as "non-predictable" (os_groups_insecure.go
      // currentUserGroups), so a payload naming it is refused like any group the user is not in.
      else if (groups.some((g) => g === w.userName || !w.userGroups.includes(g)))
        breaks(c, 'feature', 'payload.os-groups.unsupported-rejected', ptr('osGroups'), 'not a group of the user');
    }
  }
  const mounts: any[] = c.p.mounts ?? [];
  if (mounts.length > 0 || c.p.mounts !== undefined) {
    if (!w.enableMounts) breaks(c, 'feature', 'payload.features.disabled-rejected', ptr('mounts'), 'mounts');
    else
      mounts.forEach((m, i) => {
        if ('cacheName' in m && !has(`generic-worker:cache:${m.cacheName}`))
          breaks(c, 'feature', 'mounts.cache.scope-required', ptr('mounts', i, 'cacheName'), 'cache scope');
      });
  }
  // Current: no schema maximum; max_run_time_feature.go refuses more than config maxTaskRunTime.
  if (c.generation === 'current' && c.p.maxRunTime > (w.maxTaskRunTime ?? 86_400))
    breaks(c, 'feature', 'payload.schema.max-run-time-bounds', ptr('maxRunTime'), 'over maxTaskRunTime');
  // After mounts, in generic-worker's order (main.go features: ResourceMonitor, Interactive, then the platform's
  // loopback features), then runTaskAsCurrentUser (run_task_as_current_user_feature.go), which a worker whose tasks
  // already run as its own user does not offer (features.run-task-as-current-user.needs-task-users).
  if (c.p.features?.resourceMonitor !== false && w.enableResourceMonitor === false)
    breaks(c, 'feature', 'payload.features.disabled-rejected', ptr('features', 'resourceMonitor'), 'resourceMonitor');
  for (const k of ['interactive', 'loopbackAudio', 'loopbackVideo'])
    if (c.p.features?.[k] === true && (w.notOffered ?? ['interactive', 'loopbackAudio', 'loopbackVideo']).includes(k))
      breaks(c, 'feature', 'payload.features.disabled-rejected', ptr('features', k), k);
  if (c.p.features?.runTaskAsCurrentUser === true && w.tasksRunAsWorkerUser)
    breaks(c, 'feature', 'payload.features.disabled-rejected', ptr('features', 'runTaskAsCurrentUser'), 'as user');
  if (c.p.features?.chainOfTrust === true) {
    if (!w.enableChainOfTrust)
      breaks(c, 'feature', 'payload.features.disabled-rejected', ptr('features', 'chainOfTrust'), 'chainOfTrust');
    else if (w.tasksRunAsWorkerUser)
      breaks(c, 'feature', 'chain-of-trust.key.not-readable-by-task', ptr('features', 'chainOfTrust'), 'key readable');
  }
}

/** The verdict, with every broken rule of the first stage that has any (a worker stops at the first stage; an upload
 * conflict is found only when nothing stopped the run before its commands). */
export function judge(s: Subject): Verdict {
  const v = validator(s.os, s.generation);
  if (!v(s.payload)) {
    const broken = (v.errors ?? []).map((e) => ({
      rule: schemaRule(e),
      stage: 'schema' as const,
      at: e.keyword === 'required' ? `${e.instancePath}/${e.params.missingProperty}` : e.instancePath,
      detail: `${e.keyword}: ${e.message}`,
    }));
    return { valid: false, broken };
  }
  const c: Ctx = { os: s.os, generation: s.generation, p: s.payload, task: s.task, out: [], mayFail: new Set() };
  commandRules(c);
  envRules(c);
  artifactRules(c);
  mountRules(c);
  const byStage = (stage: Stage) => c.out.filter((b) => b.stage === stage);
  if (byStage('payload').length > 0) return { valid: false, broken: byStage('payload') };
  featureRules(c, s.worker);
  if (byStage('feature').length > 0) {
    const broken = byStage('feature');
    const afterMounts = broken.every((b) =>
      /^\/features\/(resourceMonitor|interactive|loopback|runTaskAsCurrentUser|chainOfTrust)/.test(b.at),
    );
    return c.mayFail.has('mounts.target.overlap') && afterMounts
      ? { valid: false, broken, mayFail: ['mounts.target.overlap'] }
      : { valid: false, broken };
  }
  if (byStage('upload').length > 0) return { valid: false, broken: byStage('upload') };
  return c.mayFail.size > 0 ? { valid: true, mayFail: [...c.mayFail] } : { valid: true };
}
