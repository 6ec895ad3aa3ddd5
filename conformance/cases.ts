// Finding, validating and selecting fixture cases. A case file that breaks the fixture format is
// still listed (as errored, with the schema's complaint) so a broken fixture is never silently lost.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { KIT_DIR, UsageError } from './profiles.ts';
import type { FixtureCase, LoadedCase, Profile } from './types.ts';

export const DEFAULT_FIXTURES = join(KIT_DIR, 'fixtures');
const SCHEMA_FILE = join(KIT_DIR, 'schemas', 'fixture.schema.json');

type Validate = ((data: unknown) => boolean) & { errors?: any[] | null };
let validator: Validate | null | undefined;

function schemaValidator(): Validate | null {
  if (validator !== undefined) return validator;
  if (!existsSync(SCHEMA_FILE)) {
    validator = null;
    return validator;
  }
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
  const draft2020 = String(schema.$schema ?? '').includes('2020-12');
  const ajv = draft2020 ? new Ajv2020({ allErrors: true, strict: false }) : new Ajv({ allErrors: true, strict: false });
  const addFormats = addFormatsModule as unknown as (a: unknown) => void;
  addFormats(ajv);
  validator = ajv.compile(schema) as Validate;
  return validator;
}

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      // A leading underscore marks shared snippets, not cases (style-anchors.md).
      if (name.startsWith('_') || name.startsWith('.') || name === 'node_modules') continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Reads every case under the given directories; duplicate ids after the first are marked invalid. */
export function loadCases(dirs: string[]): LoadedCase[] {
  const validate = schemaValidator();
  const seen = new Map<string, string>();
  const cases: LoadedCase[] = [];
  for (const d of dirs) {
    const dir = resolve(d);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--fixtures ${d}: not a directory`);
    for (const file of jsonFiles(dir)) {
      const rel = relative(dir, file)
        .split(sep)
        .join('/')
        .replace(/\.json$/, '');
      let data: any;
      try {
        data = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        cases.push({ fixture: placeholder(rel), file, invalid: `not valid JSON: ${(err as Error).message}` });
        continue;
      }
      if (!data || typeof data !== 'object' || Array.isArray(data) || typeof data.id !== 'string') {
        cases.push({ fixture: placeholder(rel), file, invalid: 'not a fixture case (no string "id")' });
        continue;
      }
      let invalid: string | undefined;
      if (validate && !validate(data)) {
        invalid = (validate.errors ?? [])
          .slice(0, 3)
          .map((e: any) => `${e.instancePath || '/'} ${e.message}`)
          .join('; ');
        invalid = `does not match schemas/fixture.schema.json: ${invalid}`;
      }
      const earlier = seen.get(data.id);
      if (earlier) invalid = `duplicate case id ${JSON.stringify(data.id)} (also in ${earlier})`;
      else seen.set(data.id, file);
      cases.push({ fixture: normalise(data), file, invalid });
    }
  }
  return cases;
}

function placeholder(id: string): FixtureCase {
  return { id, description: '(unreadable case file)', statements: [] };
}

function normalise(data: any): FixtureCase {
  return { ...data, statements: Array.isArray(data.statements) ? data.statements : [] };
}

/** `--only`: a substring of the case id, or a glob with `*` (any characters). */
export function matchesOnly(id: string, patterns: string[]): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => {
    if (!p.includes('*')) return id.includes(p);
    const re = new RegExp(`^${p.split('*').map(escapeRe).join('.*')}$`);
    return re.test(id);
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The platform names fixtures use (spec/vocabulary.json): Node's win32 is "windows". */
export function platformName(p: NodeJS.Platform = process.platform): string {
  return p === 'win32' ? 'windows' : p;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

// Windows has no uid 0: creating task users needs an elevated session, and `net session` succeeds
// only in one (GitHub's Windows runners are elevated).
let windowsAdmin: boolean | undefined;
const isWindowsAdmin = (): boolean => {
  if (process.platform !== 'win32') return false;
  if (windowsAdmin === undefined) {
    try {
      execFileSync('net', ['session'], { stdio: 'ignore', timeout: 10_000 });
      windowsAdmin = true;
    } catch {
      windowsAdmin = false;
    }
  }
  return windowsAdmin;
};

function canCreateOsUsers(): string | undefined {
  if (process.platform === 'win32') {
    return isWindowsAdmin() ? undefined : 'needs an elevated (administrator) session to create OS users';
  }
  return isRoot() ? undefined : 'needs root to create OS users';
}

/** Whether a host check command succeeds (cached: the host does not change during a run). */
const hostChecks = new Map<string, boolean>();
function succeeds(argv: string[]): boolean {
  const key = argv.join(' ');
  let ok = hostChecks.get(key);
  if (ok === undefined) {
    try {
      execFileSync(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 10_000 });
      ok = true;
    } catch {
      ok = false;
    }
    hostChecks.set(key, ok);
  }
  return ok;
}

/** Loopback devices: Linux, root, and a kernel module modprobe can load (dry run). */
const kernelModule = (module: string) => (): string | undefined => {
  if (process.platform !== 'linux') return `needs Linux for the ${module} kernel module`;
  if (!isRoot()) return `needs root to load the ${module} kernel module`;
  if (!succeeds(['sh', '-c', `modprobe -n -q ${module}`]))
    return `needs the ${module} kernel module, which modprobe cannot load here`;
  return undefined;
};

const provided = () => undefined;

/**
 * How the runner meets each requires-tag of spec/vocabulary.json (exactly those: a test checks
 * it): checked on this machine, or provided by the runner and its in-process mock for every worker.
 * A profile lists in `unsupported` the tags its worker cannot meet.
 */
export const REQUIREMENTS: Record<string, () => string | undefined> = {
  'os-users': canCreateOsUsers,
  'ed25519-key': provided,
  'worker-env': provided,
  'cli-args': provided,
  // Worker capabilities the host must allow; a worker without them lists the tag `unsupported`.
  'loopback-audio': kernelModule('snd-aloop'),
  'loopback-video': kernelModule('v4l2loopback'),
  d2g: () => (succeeds(['docker', 'info']) ? undefined : 'needs a Docker daemon (docker info fails here)'),
  // Purely the worker's: it serves the shell itself.
  interactive: provided,
  // The mock provides short claims; a worker that cannot keep them alive lists the tag `unsupported`.
  'short-claims': provided,
  // Features of the worker itself: the runner needs nothing, a worker without them lists them `unsupported`.
  'chain-of-trust': provided,
  'taskcluster-proxy': provided,
  // The runner plays worker-runner (conformance/worker-runner.ts) and any worker can be given capacity > 1;
  // a worker without the protocol or concurrent tasks lists the tag `unsupported`.
  runner: provided,
  capacity: provided,
};

/** Why a case cannot run here with this profile, or undefined when it applies. */
export function skipReason(c: FixtureCase, profile: Profile): string | undefined {
  const platform = platformName();
  const platforms = c.platforms?.map((p) => (p === 'win32' ? 'windows' : p));
  if (platforms && platforms.length > 0 && !platforms.includes(platform))
    return `platform ${platform} not in ${platforms.join(', ')}`;
  const profilePlatforms = profile.platforms?.map((p) => (p === 'win32' ? 'windows' : p));
  if (profilePlatforms && !profilePlatforms.includes(platform))
    return `worker ${profile.name} does not run on ${platform}`;
  if (c.generations && c.generations.length > 0 && !c.generations.includes(profile.generation))
    return `not for generation ${profile.generation} (only ${c.generations.join(', ')})`;
  for (const tag of c.requires ?? []) {
    if (profile.unsupported?.includes(tag)) return `worker ${profile.name} does not support "${tag}"`;
    const check = REQUIREMENTS[tag];
    const why = check ? check() : `requires "${tag}", which this runner does not know how to provide`;
    if (why) return why;
  }
  return undefined;
}
