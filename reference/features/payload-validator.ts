// Always on: the payload must match this platform's schema (schemas/payload/<os>.json) and the rules a schema cannot
// express (what the OS can pass to a process, what the Queue accepts as an artifact name, where mounts may go, how
// artifact expiries relate to the task). Any problem goes to the task log, each line naming where it is and the rule,
// and the run ends exception/malformed-payload before anything runs: no download, no process, no upload but the log.
import type { ValidateFunction } from 'ajv';
import type { ResolvedConfig } from '../config.ts';
import { ARCHIVE_FORMATS } from '../mounts/archive.ts';
import type { OsName } from '../platform/platform.ts';
import { compile, describeErrors, payloadSchemaPath, readSchema } from '../schemas.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, TaskError } from './feature.ts';

const validators = new Map<string, ValidateFunction>();

/** One thing wrong with a payload: the rule (a spec statement id, or `schema`), where (JSON pointer) and why. */
export interface PayloadProblem {
  rule: string;
  at: string;
  message: string;
}

/** What validation needs of the task definition besides the payload. */
export interface TaskTimes {
  deadline: string;
  expires: string;
  dependencies?: unknown;
}

// Limits of what an OS passes to a new process. Linux: MAX_ARG_STRLEN (32 pages) per argv or environment string,
// terminating NUL included; macOS: ARG_MAX (1 MiB) for argv and environment together, which also leaves Linux's
// 2 MiB default room for the worker's inherited environment. Windows: 32,767 characters per variable.
const ARG_STRING_MAX = 131_072;
const EXEC_TOTAL_MAX = 1_048_576;
const WINDOWS_VAR_MAX = 32_767;
/** The Queue's rule for artifact names (services/queue/src/api.js, params.name): printable ASCII, at least one. */
const ARTIFACT_NAME = /^[\x20-\x7e]+$/;
/** The Queue caps contentType at 255 (post-artifact-request.yml); it is also sent as a header. */
const CONTENT_TYPE_MAX = 255;
const LIVE_LOG = 'public/logs/live.log';
const BACKING_LOG = 'public/logs/live_backing.log';

const pointer = (...parts: (string | number)[]): string =>
  parts.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
const cString = (s: string): number => Buffer.byteLength(s) + 1;

/**
 * Validates a payload for `os`: schema first; only a schema-valid payload is checked against the further rules.
 * Returns every problem found (empty: the payload is acceptable). Exported for the property tests.
 */
export function validatePayload(payload: unknown, task: TaskTimes, os: OsName): PayloadProblem[] {
  const path = payloadSchemaPath(os);
  let validate = validators.get(path);
  if (!validate) {
    validate = compile(path);
    validators.set(path, validate);
  }
  if (!validate(payload)) {
    return (validate.errors ?? []).map((e) => ({
      rule: 'schema',
      at:
        e.keyword === 'required'
          ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`
          : e.instancePath,
      message: describeErrors([e], 'payload')[0] ?? e.message ?? e.keyword,
    }));
  }
  const p = payload as Record<string, any>;
  const problems: PayloadProblem[] = [];
  const add = (rule: string, at: string, message: string) => problems.push({ rule, at, message });
  checkExec(p, os, add);
  checkArtifacts(p, task, add);
  checkMounts(p, task, add);
  return problems;
}

type Add = (rule: string, at: string, message: string) => void;

function checkExec(p: Record<string, any>, os: OsName, add: Add): void {
  const env: Record<string, string> = p.env ?? {};
  const upper = new Map<string, string>();
  let envBytes = 0;
  for (const [name, value] of Object.entries(env)) {
    const at = pointer('env', name);
    if (name.length === 0 || name.includes('=') || name.includes('\0')) {
      add('payload.env.valid-name', at, 'an environment variable name must be non-empty, without "=" or NUL');
    }
    if (os === 'windows') {
      // Windows environment names are case-insensitive: two of them would be one variable.
      const other = upper.get(name.toUpperCase());
      if (other !== undefined)
        add('payload.env.valid-name', at, `same variable as ${JSON.stringify(other)} on Windows`);
      upper.set(name.toUpperCase(), name);
    }
    if (value.includes('\0')) add('payload.env.no-nul', at, 'the value contains a NUL byte, which no OS can pass on');
    const size = cString(`${name}=${value}`);
    envBytes += size;
    if (os === 'windows' ? value.length > WINDOWS_VAR_MAX : size > ARG_STRING_MAX) {
      add(
        'payload.env.size-limit',
        at,
        os === 'windows'
          ? `the value has ${value.length} characters; Windows allows ${WINDOWS_VAR_MAX}`
          : `NAME=value is ${size} bytes; a process can be given at most ${ARG_STRING_MAX}`,
      );
    }
  }
  (p.command as unknown[]).forEach((cmd, i) => {
    const args = typeof cmd === 'string' ? [cmd] : (cmd as string[]);
    let argBytes = 0;
    args.forEach((arg, j) => {
      const at = typeof cmd === 'string' ? pointer('command', i) : pointer('command', i, j);
      if (arg.includes('\0')) add('payload.command.no-nul', at, 'the argument contains a NUL byte');
      argBytes += cString(arg);
      if (os !== 'windows' && cString(arg) > ARG_STRING_MAX) {
        add('payload.command.size-limit', at, `the argument is ${cString(arg)} bytes; at most ${ARG_STRING_MAX}`);
      }
    });
    if (os !== 'windows' && argBytes + envBytes > EXEC_TOTAL_MAX) {
      add(
        'payload.env.size-limit',
        pointer('command', i),
        `arguments and env take ${argBytes + envBytes} bytes together; a process can be given ${EXEC_TOTAL_MAX}`,
      );
    }
  });
}

function checkArtifacts(p: Record<string, any>, task: TaskTimes, add: Add): void {
  const deadline = Date.parse(task.deadline);
  const expires = Date.parse(task.expires);
  (p.artifacts ?? []).forEach((a: Record<string, any>, i: number) => {
    // An empty name is no name: the path is published, as generic-worker does (artifact_feature.go FindArtifacts).
    const name: string = a.name || String(a.path).replace(/\\/g, '/');
    if (!ARTIFACT_NAME.test(name)) {
      add(
        'artifacts.name.printable',
        pointer('artifacts', i, a.name ? 'name' : 'path'),
        `artifact name ${JSON.stringify(name)} is not printable ASCII (0x20-0x7e), which the Queue requires`,
      );
    }
    if (
      a.contentType !== undefined &&
      (a.contentType.length > CONTENT_TYPE_MAX || !ARTIFACT_NAME.test(a.contentType))
    ) {
      add(
        'artifacts.content-type.valid',
        pointer('artifacts', i, 'contentType'),
        `contentType ${JSON.stringify(a.contentType)} must be 1-${CONTENT_TYPE_MAX} printable ASCII characters`,
      );
    }
    if (a.expires === undefined) return;
    const at = pointer('artifacts', i, 'expires');
    const t = Date.parse(a.expires);
    if (Number.isNaN(t)) add('payload.artifact-expiry.parseable', at, `${a.expires} is not a time this worker can use`);
    // generic-worker (both versions) allows 1 s before the deadline for rounding; the Queue does not mind. After the
    // task's expiry nothing is allowed: the Queue refuses such an artifact when it is created.
    else if (t < deadline - 1000) {
      add(
        'payload.artifact-expiry.before-deadline',
        at,
        `artifact '${a.path}' expires before task deadline (${a.expires} < ${task.deadline})`,
      );
    } else if (t > expires) {
      add(
        'payload.artifact-expiry.after-task-expiry',
        at,
        `artifact '${a.path}' expires after task expiry (${a.expires} > ${task.expires})`,
      );
    }
  });
  for (const key of ['live', 'backing'] as const) {
    const n = p.logs?.[key];
    if (n !== undefined && !ARTIFACT_NAME.test(n)) {
      add('artifacts.name.printable', pointer('logs', key), `log name ${JSON.stringify(n)} is not printable ASCII`);
    }
  }
  const live = p.logs?.live ?? LIVE_LOG;
  if (p.features?.liveLog !== false && p.features?.backingLog !== false && live === (p.logs?.backing ?? BACKING_LOG)) {
    add(
      'logs.names.distinct',
      pointer('logs'),
      `the live log and the backing log are both named ${JSON.stringify(live)}`,
    );
  }
}

/** A mount path as normalised segments inside the task directory, or why it cannot be one. */
function mountSegments(raw: string): string[] | string {
  if (raw.length === 0) return 'is empty';
  if (raw.includes('\0')) return 'contains a NUL byte';
  const slashed = raw.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) return 'is absolute; it must be relative';
  const segs: string[] = [];
  for (const s of slashed.split('/')) {
    if (s === '.' || s === '') continue;
    if (s !== '..') segs.push(s);
    else if (segs.pop() === undefined) return 'points outside the task directory';
  }
  if (segs[0] === 'generic-worker') return "is in the worker's own generic-worker directory";
  return segs;
}

function checkMounts(p: Record<string, any>, task: TaskTimes, add: Add): void {
  const cacheNames = new Map<string, number>();
  const deps = Array.isArray(task.dependencies) ? task.dependencies : [];
  (p.mounts ?? []).forEach((m: Record<string, any>, i: number) => {
    // Kind by key presence, as generic-worker: cacheName, then directory, then file.
    const key = 'cacheName' in m || 'directory' in m ? 'directory' : 'file';
    const at = pointer('mounts', i, key);
    const segs = mountSegments(String(m[key]));
    if (typeof segs === 'string')
      add('mounts.target.inside-task-dir', at, `mount path ${JSON.stringify(m[key])} ${segs}`);
    // The task directory itself: a file or read-only directory mount there fails at run time, as in
    // generic-worker (mounts_test.go TestMountFileAtCWD, TestMissingDependency); a writable cache would
    // replace the task directory, which v106 ends as internal-error.
    else if (segs.length === 0 && 'cacheName' in m)
      add('mounts.target.inside-task-dir', at, `mount path ${JSON.stringify(m[key])} is the task directory itself`);
    if ('cacheName' in m) {
      const name = m.cacheName as string;
      if (name === '') add('mounts.cache.name-valid', pointer('mounts', i, 'cacheName'), 'cacheName is empty');
      const first = cacheNames.get(name);
      if (first !== undefined) {
        add(
          'mounts.cache.name-once',
          pointer('mounts', i, 'cacheName'),
          `cache ${JSON.stringify(name)} is also mounts[${first}]`,
        );
      } else cacheNames.set(name, i);
    }
    // A file mount's format is a compression the schema lists (reference/mounts/archive.ts FILE_FORMATS);
    // only directory mounts extract archives.
    if (key === 'directory' && m.format !== undefined && !(ARCHIVE_FORMATS as readonly string[]).includes(m.format)) {
      add(
        'mounts.archive.supported-format',
        pointer('mounts', i, 'format'),
        `archive format ${JSON.stringify(m.format)} is not extracted by this worker (${ARCHIVE_FORMATS.join(', ')})`,
      );
    }
    const taskId = m.content?.taskId;
    if (typeof taskId === 'string' && !deps.includes(taskId)) {
      add(
        'mounts.file.dependency-required',
        pointer('mounts', i, 'content', 'taskId'),
        `[mounts] task.dependencies needs to include ${taskId} since one or more of its artifacts are mounted`,
      );
    }
  });
}

export const payloadValidatorFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'payload-validator',
  after: ['backing-log'],
  enabled: () => true,
  requested: () => true,
  forTask(ctx) {
    return {
      async start() {
        const problems = validatePayload(ctx.payload, ctx.task, ctx.platform.os);
        if (problems.length === 0) return;
        const lines = problems.map((pr) =>
          pr.rule === 'schema' ? pr.message : `payload${pr.at}: ${pr.message} (rule ${pr.rule})`,
        );
        ctx.log.error(
          [
            'TASK FAIL since the task payload is invalid. See errors:',
            ...[...new Set(lines)].map((l) => `- ${l}`),
          ].join('\n'),
        );
        if (problems.some((pr) => pr.rule === 'schema')) {
          ctx.log.info(
            `Task payload for this worker type must conform to the following jsonschema:\n${JSON.stringify(readSchema(payloadSchemaPath(ctx.platform.os)), null, 2)}`,
          );
        }
        throw new TaskError('malformed-payload', `Validation of payload failed for task ${ctx.taskId}`);
      },
      async stop() {},
    };
  },
};
