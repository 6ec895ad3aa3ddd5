// Worker profiles: how to start a worker and write its config. Built-ins live in
// conformance/profiles/<name>.json; any other worker is described by a JSON file of the same shape.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vocabulary } from '../spec/index.ts';
import { PLACEHOLDER } from './placeholders.ts';
import { profileProblems } from './profile-check.ts';
import type { Profile } from './types.ts';

export const KIT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PROFILE_DIR = join(KIT_DIR, 'conformance', 'profiles');
export const BUILT_IN_PROFILES = ['reference', 'reference-v11', 'generic-worker', 'generic-worker-v11'] as const;

/** A usage problem (bad option, unknown profile): the CLI prints it on one line and exits 2. */
export class UsageError extends Error {}

/** Resolves `--worker`: a built-in name or a path to a JSON profile. */
export function loadProfile(nameOrPath: string): Profile {
  const builtIn = (BUILT_IN_PROFILES as readonly string[]).includes(nameOrPath);
  const file = builtIn ? join(PROFILE_DIR, `${nameOrPath}.json`) : resolve(nameOrPath);
  if (!builtIn && !existsSync(file)) {
    throw new UsageError(
      `--worker ${nameOrPath}: not a built-in profile (${BUILT_IN_PROFILES.join(', ')}) and no such file`,
    );
  }
  let data: any;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--worker ${nameOrPath}: ${file} is not valid JSON (${(err as Error).message})`);
  }
  // Schema, vocabulary and placeholders first: they name the field (schemas/profile.schema.json).
  const problems = profileProblems(data);
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1).join('; ')})` : '';
    const where = resolve(nameOrPath) === file ? file : `${nameOrPath} (${file})`;
    throw new UsageError(`--worker ${where}: ${problems[0]}${more}`);
  }
  const problem = profileProblem(data);
  if (problem) throw new UsageError(`--worker ${nameOrPath}: ${file}: ${problem}`);
  return { ...data, source: builtIn ? nameOrPath : file };
}

function profileProblem(p: any): string | undefined {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'expected a JSON object';
  if (typeof p.name !== 'string' || !p.name) return '"name" must be a non-empty string';
  if (!Array.isArray(p.command) || p.command.length === 0 || p.command.some((c: unknown) => typeof c !== 'string'))
    return '"command" must be a non-empty array of strings';
  if (typeof p.configTemplate !== 'object' || p.configTemplate === null || Array.isArray(p.configTemplate))
    return '"configTemplate" must be an object';
  if (p.generation !== 'v11' && p.generation !== 'current') return '"generation" must be "v11" or "current"';
  if (
    p.platforms !== undefined &&
    !(Array.isArray(p.platforms) && p.platforms.every((x: unknown) => typeof x === 'string'))
  )
    return '"platforms" must be an array of strings';
  if (
    p.unsupported !== undefined &&
    !(Array.isArray(p.unsupported) && p.unsupported.every((x: unknown) => typeof x === 'string'))
  )
    return '"unsupported" must be an array of strings';
  for (const tag of p.unsupported ?? [])
    if (!(tag in vocabulary.requires))
      return `"unsupported": ${JSON.stringify(tag)} is not a requires-tag (${tagList()})`;
  if (p.program !== undefined && !(Array.isArray(p.program) && p.program.every((x: unknown) => typeof x === 'string')))
    return '"program" must be an array of strings';
  if (p.configForRequires !== undefined) {
    const c = p.configForRequires;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return '"configForRequires" must be an object';
    for (const [tag, over] of Object.entries(c)) {
      if (!(tag in vocabulary.requires))
        return `"configForRequires": ${JSON.stringify(tag)} is not a requires-tag (${tagList()})`;
      if (typeof over !== 'object' || over === null || Array.isArray(over))
        return `"configForRequires.${tag}" must be an object of config keys`;
    }
  }
  if (p.generation === 'current') {
    for (const [key, why] of Object.entries(REQUESTED_BY_DEFAULT)) {
      if (p.configTemplate[key] === false)
        return `"configTemplate.${key}" is false, but ${why}: the worker would refuse every task malformed-payload ("… not enabled on this worker pool", workers/generic-worker/main.go (*TaskRun).Run); leave it true`;
    }
  }
  return undefined;
}

const tagList = () => `spec/vocabulary.json: ${Object.keys(vocabulary.requires).join(', ')}`;

/**
 * Current generic-worker's config switches (v106.0.0 gwconfig) whose feature every task requests
 * unless its payload turns it off. A requested feature that is not enabled refuses the task
 * malformed-payload, so a profile setting one of these to false cannot judge a single task.
 */
export const REQUESTED_BY_DEFAULT: Readonly<Record<string, string>> = {
  enableLiveLog:
    'payload features.liveLog defaults to true (workers/generic-worker/generated_insecure_linux.go; livelog_feature.go IsRequested)',
  enableResourceMonitor:
    'payload features.resourceMonitor defaults to true (generated_insecure_linux.go; resource_monitor_feature.go IsRequested)',
  enableMetadata: 'every task requests the metadata feature (workers/generic-worker/metadata_feature.go IsRequested)',
  enableMounts: 'every task requests the mounts feature (workers/generic-worker/mounts_feature.go IsRequested)',
  enableOSGroups: 'every task requests the OS groups feature (workers/generic-worker/os_groups_feature.go IsRequested)',
};

/**
 * Substitutes `${NAME}` and `${NAME:arg}` from `vars` in a string, and, in profiles only (`env`),
 * `${env:NAME|default}` from the runner's environment. Anything else (shell text such as
 * `${VAR:-x}` or `${u%%/*}`) is left as it is.
 */
export function expand(text: string, vars: Record<string, string>, env = false): string {
  let out = text;
  // Inner-most first, so a default may itself hold a placeholder: ${env:X|${KIT}/bin/x}.
  for (let i = 0; i < 5; i++) {
    const next = out.replace(PLACEHOLDER, (m, isEnv, name, arg, def) => {
      if (isEnv) return env ? (process.env[name] ?? def ?? '') : m;
      if (def !== undefined) return m;
      const key = arg !== undefined ? `${name}:${arg}` : name;
      return vars[key] ?? m;
    });
    if (next === out) break;
    out = next;
  }
  return out;
}

/**
 * Deep copy of a JSON value with every string expanded. A string that is exactly `${PORT:n}`
 * becomes a number, since config files want port numbers, not strings.
 */
export function expandDeep<T>(value: T, vars: Record<string, string>, env = false): T {
  if (typeof value === 'string') {
    const whole = /^\$\{PORT:(\d+)\}$/.exec(value);
    if (whole && vars[`PORT:${whole[1]}`] !== undefined) return Number(vars[`PORT:${whole[1]}`]) as T;
    return expand(value, vars, env) as T;
  }
  if (Array.isArray(value)) return value.map((v) => expandDeep(v, vars, env)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandDeep(v, vars, env)])) as T;
  }
  return value;
}

/**
 * The profile's argv for one case; throws a UsageError when the program does not exist. With
 * `args` (CLI cases) the worker program is started with those arguments instead of its run target.
 */
export function commandFor(profile: Profile, vars: Record<string, string>, args?: string[]): string[] {
  let template = profile.command;
  if (args) {
    const runAt = profile.command.indexOf('run');
    const program = profile.program ?? (runAt > 0 ? profile.command.slice(0, runAt) : profile.command.slice(0, 1));
    template = [...program, ...args];
  }
  const argv = template.map((a) => expand(a, vars, true));
  const program = argv[0];
  // The generic-worker profiles name their binary only through the environment: the kit never builds one.
  const envName = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)/.exec(template[0] ?? '')?.[1];
  const hint = envName ? ` (set ${envName} to the worker's binary)` : '';
  if (!program) throw new UsageError(`worker ${profile.name}: no command to run${hint}`);
  if ((isAbsolute(program) || program.includes('/')) && !existsSync(program))
    throw new UsageError(`worker ${profile.name}: command ${program} does not exist${hint}`);
  return argv;
}
