// The runner's placeholders, in one place: what each means, and which texts may use which. A case's
// plan (plan.ts) and a profile's check (profile-check.ts) refuse every `${...}` that is not one of
// them, so a typo fails before any worker starts instead of reaching a config file as text.

/** Consecutive loopback ports per case, as ${PORT:0}…${PORT:3} in config templates. */
export const PORTS_PER_CASE = 4;

/** Placeholders of every case, with what they stand for (conformance/README.md lists them too). */
export const CASE_PLACEHOLDERS: Record<string, string> = {
  ROOT_URL: "the mock Queue's root URL",
  FILES_URL: "where the mock serves the case's setup.files",
  PROVISIONER_ID: 'the provisionerId of every case (tc-kit)',
  WORKER_TYPE: "the case's workerType (its slug)",
  TASK_QUEUE_ID: '<provisionerId>/<workerType>',
  WORKER_GROUP: 'the workerGroup of every case (tc-kit)',
  WORKER_ID: "the worker's workerId",
  CLIENT_ID: "the worker's clientId",
  ACCESS_TOKEN: "the worker's accessToken",
  WORK_DIR: "the case's temp dir (the worker's working directory)",
  TASKS_DIR: '<WORK_DIR>/tasks',
  CACHES_DIR: '<WORK_DIR>/caches',
  DOWNLOADS_DIR: '<WORK_DIR>/downloads',
  OPENPGP_KEY: 'the armored OpenPGP signing key file',
  ED25519_KEY: 'the ed25519 signing key file (base64 seed)',
  CONFIG: "the worker's config file",
  NODE: "the runner's Node executable",
  KIT: "the kit's directory",
  TASK_ID: "the main task's taskId",
};

/** `${PORT:n}` and `${TASK_ID:<alias>}` take an argument. */
const WITH_ARG = new Set(['PORT', 'TASK_ID']);

/** The placeholder syntax: what expand() substitutes (profiles.ts) and placeholderProblems() checks. */
export const PLACEHOLDER = /\$\{(env:)?([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z0-9_-]+))?(?:\|([^${}]*))?\}/g;

export interface PlaceholderRules {
  /** `${env:NAME|default}` is allowed (profiles only). */
  env: boolean;
  /** The case's task aliases, for `${TASK_ID:<alias>}`; undefined: none is known (profiles). */
  aliases?: readonly string[];
  /**
   * The placeholders this text may use, as expand() keys (`ROOT_URL`, `PORT:0`, `TASK_ID:dep`); a case's
   * plan gives its own variables. Default: CASE_PLACEHOLDERS and the case's ports (profiles).
   */
  known?: ReadonlySet<string>;
  /**
   * Shell text (task definitions): an unknown NAME is the task's own `${VAR}` / `${VAR:-x}`, left as it is.
   * A known NAME with a bad argument is still refused.
   */
  shell?: boolean;
}

export interface PlaceholderProblem {
  /** JSON pointer of the string holding the placeholder. */
  pointer: string;
  message: string;
}

const escapePointer = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every placeholder in `value` (deeply) that the rules do not allow, with where it is. */
export function placeholderProblems(value: unknown, pointer: string, rules: PlaceholderRules): PlaceholderProblem[] {
  const out: PlaceholderProblem[] = [];
  const walk = (v: unknown, at: string) => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(PLACEHOLDER)) {
        const why = problemWith(m, rules);
        if (why) out.push({ pointer: at || '/', message: why });
      }
    } else if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, `${at}/${i}`);
    } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}/${escapePointer(k)}`);
  };
  walk(value, pointer);
  return out;
}

function problemWith(m: RegExpMatchArray, rules: PlaceholderRules): string | undefined {
  const [text, isEnv, name, arg, def] = m;
  if (isEnv) return rules.env ? undefined : `${text}: \${env:…} is for profiles only`;
  if (rules.known) {
    const key = arg !== undefined ? `${name}:${arg}` : name!;
    if (def === undefined && rules.known.has(key)) return undefined;
    if (!rules.known.has(name!) && !WITH_ARG.has(name!)) {
      if (rules.shell) return undefined;
      return `unknown placeholder ${text} (known: ${[...rules.known].map((k) => `\${${k}}`).join(', ')})`;
    }
  }
  const known = name! in CASE_PLACEHOLDERS || WITH_ARG.has(name!) || rules.known?.has(name!);
  if (!known) {
    if (rules.shell) return undefined;
    return `unknown placeholder ${text} (known: ${knownList(rules)})`;
  }
  if (def !== undefined) return rules.shell ? undefined : `${text}: only \${env:NAME|default} takes a default`;
  if (name === 'PORT') {
    const n = arg === undefined ? Number.NaN : Number(arg);
    if (!(Number.isInteger(n) && n >= 0 && n < PORTS_PER_CASE))
      return `${text}: a case has ports \${PORT:0} to \${PORT:${PORTS_PER_CASE - 1}}`;
    return undefined;
  }
  if (name === 'TASK_ID' && arg !== undefined) {
    if (rules.shell && arg.startsWith('-')) return undefined; // ${TASK_ID:-x} is shell text
    if (!rules.aliases?.includes(arg))
      return `${text}: no task has the alias ${JSON.stringify(arg)}${rules.aliases?.length ? ` (aliases: ${rules.aliases.join(', ')})` : ''}`;
    return undefined;
  }
  if (arg !== undefined) return rules.shell ? undefined : `${text}: \${${name}} takes no argument`;
  return undefined;
}

function knownList(rules: PlaceholderRules): string {
  const names = Object.keys(CASE_PLACEHOLDERS).map((n) => `\${${n}}`);
  names.push(`\${PORT:n}`);
  if (rules.aliases?.length) names.push(`\${TASK_ID:<alias>}`);
  if (rules.env) names.push(`\${env:NAME|default}`);
  return names.join(', ');
}
