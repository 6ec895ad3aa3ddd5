// Loads and validates the worker config (schemas/config.schema.json): exit 64 when the file cannot be
// read or parsed, 73 when it parses but is invalid. Defaults come from the schema, so `--help` and the
// loader agree. Secrets (accessToken, livelogSecret) are masked wherever the config is shown. Before
// tasks run as other OS users, the config and the key files it names are made private (exit 77).
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExitCode, ExitError } from './exit-codes.ts';
import type { OsName } from './platform/platform.ts';
import { compile, describeErrors, readSchema } from './schemas.ts';

export interface WorkerConfig {
  accessToken: string;
  clientId: string;
  workerId: string;
  workerType: string;
  rootURL?: string;
  ed25519SigningKeyLocation?: string;
  livelogSecret?: string;
  publicIP?: string;
  livelogListenAddress?: string;
  signingKeyLocation?: string;
  authBaseURL?: string;
  availabilityZone: string;
  cachesDir: string;
  certificate: string;
  checkForNewDeploymentEverySecs: number;
  cleanUpTaskDirs: boolean;
  deploymentId: string;
  disableReboots: boolean;
  downloadsDir: string;
  idleTimeoutSecs: number;
  instanceID: string;
  instanceType: string;
  livelogCertificate: string;
  livelogExecutable: string;
  livelogGETPort: number;
  livelogKey: string;
  livelogPUTPort: number;
  numberOfTasksToRun: number;
  privateIP?: string;
  provisionerBaseURL?: string;
  provisionerId: string;
  purgeCacheBaseURL?: string;
  queueBaseURL?: string;
  region: string;
  requiredDiskSpaceMegabytes: number;
  runAfterUserCreation: string;
  runTasksAsCurrentUser: boolean;
  sentryProject: string;
  shutdownMachineOnIdle: boolean;
  shutdownMachineOnInternalError: boolean;
  subdomain: string;
  taskclusterProxyExecutable: string;
  taskclusterProxyPort: number;
  tasksDir: string;
  workerGroup: string;
  workerTypeMetadata: Record<string, unknown>;
  workerLocation: string;
  createObjectArtifacts: boolean;
  enableChainOfTrust: boolean;
  enableLiveLog: boolean;
  enableMounts: boolean;
  enableOSGroups: boolean;
  enableTaskclusterProxy: boolean;
  enableResourceMonitor: boolean;
  maxMemoryUsagePercent: number;
  minAvailableMemoryBytes: number;
  allowedHighMemoryDurationSecs: number;
  disableOOMProtection: boolean;
  enableMetadata: boolean;
  enableRunTaskAsCurrentUser: boolean;
  /** generic-worker keys of features tc-worker does not implement, accepted so its configs load. */
  enableInteractive: boolean;
  interactivePort: number;
  enableLoopbackAudio: boolean;
  enableLoopbackVideo: boolean;
  loopbackAudioDeviceNumber: number;
  loopbackVideoDeviceNumber: number;
  d2gConfig: Record<string, unknown>;
  maxTaskRunTime: number;
  claimWorkIntervalSecs: number;
  reclaimBeforeSecs: number;
  /** Tasks run at once (current generic-worker); at least 1. */
  capacity: number;
  headlessTasks: boolean;
  /** Current generic-worker's live log base port (GET = base + 1); overrides livelogGETPort when set. */
  livelogPortBase?: number;
}

/** The config plus what the worker derives from it. */
export interface ResolvedConfig extends WorkerConfig {
  /** Root URL the Taskcluster clients are built from (rootURL, or derived from queueBaseURL). */
  rootUrl: string;
  /** Absolute path of the file it was loaded from. */
  configFile: string;
}

export const CONFIG_SCHEMA = 'config.schema.json';

interface PropertyDoc {
  name: string;
  required: boolean;
  description: string;
  default?: unknown;
  secret: boolean;
}

/** Every config property with its description, whether it is required, and its default (for --help). */
export function configProperties(): PropertyDoc[] {
  const schema = readSchema(CONFIG_SCHEMA) as {
    required: string[];
    anyOf?: Array<{ required: string[] }>;
    properties: Record<string, { description?: string; default?: unknown; 'x-secret'?: boolean }>;
  };
  // The first alternative of the top-level anyOf (rootURL) is listed as required; the others say so.
  const required = [...schema.required, ...(schema.anyOf?.[0]?.required ?? [])];
  return Object.entries(schema.properties)
    .map(([name, p]) => ({
      name,
      required: required.includes(name),
      description: p.description ?? '',
      default: p.default,
      secret: p['x-secret'] === true,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Names of properties that must never be logged. Read from the schema directly: configProperties() sorts
 * with localeCompare, whose first call loads ICU's collation data (9 ms, +6 MiB RSS), which the worker
 * itself never needs.
 */
export function secretKeys(): string[] {
  const { properties } = readSchema(CONFIG_SCHEMA) as { properties: Record<string, { 'x-secret'?: boolean }> };
  return Object.entries(properties)
    .filter(([, p]) => p['x-secret'] === true)
    .map(([name]) => name);
}

/** A copy safe to log: secret values replaced. */
export function redactConfig(cfg: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...cfg };
  for (const k of secretKeys()) if (out[k] !== undefined) out[k] = '*************';
  return out;
}

/**
 * Derive the deployment root URL. rootURL wins; otherwise the generic-worker 11 queueBaseURL must be the
 * Queue of a deployment: `<root>/api/queue/v1`, or the legacy `https://queue.taskcluster.net/v1`
 * (taskcluster-client maps the legacy root `https://taskcluster.net` back to it).
 */
export function deriveRootUrl(cfg: Pick<WorkerConfig, 'rootURL' | 'queueBaseURL'>): string {
  if (cfg.rootURL) return cfg.rootURL.replace(/\/+$/, '');
  const q = (cfg.queueBaseURL ?? '').replace(/\/+$/, '');
  const m = /^(https?:\/\/.+)\/api\/queue\/v1$/.exec(q);
  if (m) return m[1]!;
  if (q === 'https://queue.taskcluster.net/v1') return 'https://taskcluster.net';
  throw new ExitError(
    ExitCode.INVALID_CONFIG,
    `Invalid config: property 'queueBaseURL' (${q}) must be <rootURL>/api/queue/v1 or https://queue.taskcluster.net/v1; set 'rootURL' instead`,
  );
}

let validator: ReturnType<typeof compile> | undefined;

/** Validate parsed JSON and fill in defaults; throws ExitError(73) naming the offending property. */
export function validateConfig(raw: unknown, os: OsName, configFile = '<inline>'): ResolvedConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ExitError(
      ExitCode.INVALID_CONFIG,
      `Invalid config in '${configFile}': the top level must be a JSON object`,
    );
  }
  const data = structuredClone(raw) as Record<string, unknown>;
  validator ??= compile(CONFIG_SCHEMA, { useDefaults: true });
  if (!validator(data)) {
    const errors = validator.errors ?? [];
    // The rootURL/queueBaseURL alternative reports as two 'required' errors plus an anyOf: say it once.
    const anyOf = errors.some((e) => e.keyword === 'anyOf' && e.instancePath === '');
    const rest = errors.filter(
      (e) =>
        !(e.keyword === 'anyOf' && e.instancePath === '') &&
        !(
          anyOf &&
          e.keyword === 'required' &&
          ['rootURL', 'queueBaseURL'].includes((e.params as { missingProperty: string }).missingProperty)
        ),
    );
    const lines = describeErrors(rest).map((l) => `config property '${l.replace(/^\//, '').replace(/:/, "':")}`);
    if (anyOf) lines.push(`config property 'rootURL': is required (or the generic-worker 11 'queueBaseURL')`);
    throw new ExitError(ExitCode.INVALID_CONFIG, `Invalid config in '${configFile}':\n  ${lines.join('\n  ')}`);
  }
  const cfg = data as unknown as WorkerConfig;
  // generic-worker parses it as a net.IP and cannot load a config where it is not one.
  if (cfg.publicIP !== undefined && cfg.publicIP !== '' && isIP(cfg.publicIP) === 0)
    throw new ExitError(
      ExitCode.INVALID_CONFIG,
      `Invalid config in '${configFile}':\n  config property 'publicIP': invalid IP address: ${cfg.publicIP}`,
    );
  if (cfg.livelogListenAddress && isIP(cfg.livelogListenAddress) === 0)
    throw new ExitError(
      ExitCode.INVALID_CONFIG,
      `Invalid config in '${configFile}':\n  config property 'livelogListenAddress': invalid IP address: ${cfg.livelogListenAddress}`,
    );
  cfg.runTasksAsCurrentUser ??= os !== 'windows';
  const capacityProblem = checkCapacity(cfg);
  if (capacityProblem)
    throw new ExitError(ExitCode.INVALID_CONFIG, `Invalid config in '${configFile}':\n  ${capacityProblem}`);
  return { ...cfg, rootUrl: deriveRootUrl(cfg), configFile };
}

/** Ports one task slot takes (generic-worker's gwconfig.PortsPerTask: live log PUT and GET, interactive, proxy). */
export const PORTS_PER_TASK = 4;

/** The port the live log is served on: generic-worker's GET port (livelogPortBase + 1) when a base is set. */
export function liveLogPort(cfg: WorkerConfig): number {
  return cfg.livelogPortBase !== undefined ? cfg.livelogPortBase + 1 : cfg.livelogGETPort;
}

/** The taskcluster-proxy port of task slot `slot` (0-based), generic-worker's PortManager layout. */
export function proxyPort(cfg: WorkerConfig, slot: number): number {
  return cfg.taskclusterProxyPort === 0 ? 0 : cfg.taskclusterProxyPort + PORTS_PER_TASK * slot;
}

/**
 * What makes a capacity invalid, after generic-worker's gwconfig Config.ValidatePortConfiguration and
 * multiuser.go: every slot's ports must fit below 65536 and the features' port ranges must not overlap;
 * task users (runTasksAsCurrentUser false) run several at once only with headlessTasks.
 */
export function checkCapacity(cfg: WorkerConfig): string | undefined {
  const capacity = cfg.capacity ?? 1;
  if (capacity > 1 && !cfg.runTasksAsCurrentUser && !cfg.headlessTasks)
    return `config property 'capacity': capacity > 1 requires headlessTasks to be enabled when tasks run as task users (capacity=${capacity}, headlessTasks=false)`;
  const extra = (capacity - 1) * PORTS_PER_TASK;
  const ranges: Array<{ name: string; start: number; end: number }> = [];
  if (cfg.enableLiveLog && cfg.livelogPortBase !== undefined)
    ranges.push({ name: 'livelogPortBase', start: cfg.livelogPortBase, end: cfg.livelogPortBase + extra + 1 });
  else if (cfg.enableLiveLog && cfg.livelogGETPort !== 0)
    ranges.push({ name: 'livelogGETPort', start: cfg.livelogGETPort, end: cfg.livelogGETPort });
  if (cfg.enableTaskclusterProxy && cfg.taskclusterProxyPort !== 0)
    ranges.push({
      name: 'taskclusterProxyPort',
      start: cfg.taskclusterProxyPort,
      end: cfg.taskclusterProxyPort + extra,
    });
  for (const r of ranges) {
    if (r.end > 65535)
      return `config property '${r.name}': with capacity=${capacity} it needs ports ${r.start}-${r.end} but the largest port is 65535; use a lower base port or reduce capacity`;
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, b] = [ranges[i]!, ranges[j]!];
      if (a.start <= b.end && b.start <= a.end)
        return `config property '${b.name}': port range overlap with capacity=${capacity}: ${a.name} [${a.start}-${a.end}] overlaps with ${b.name} [${b.start}-${b.end}]; space the base ports further apart`;
    }
  }
  return undefined;
}

/** Read, parse and validate a config file (64 for read/parse failures, 73 for invalid content). */
export function loadConfig(file: string, os: OsName): ResolvedConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ExitError(ExitCode.CANT_LOAD_CONFIG, `Not able to load config file '${abs}': ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ExitError(
      ExitCode.CANT_LOAD_CONFIG,
      `Not able to load config file '${abs}': invalid JSON: ${(e as Error).message}`,
    );
  }
  return validateConfig(raw, os, abs);
}

/** Files that hold the worker's secrets: the config itself (permanent accessToken) and the private keys it names. */
export function secretFiles(cfg: ResolvedConfig): { file: string; what: string }[] {
  const out: { file: string; what: string }[] = [];
  if (cfg.configFile && cfg.configFile !== '<inline>') out.push({ file: cfg.configFile, what: 'config file' });
  if (cfg.signingKeyLocation) out.push({ file: resolve(cfg.signingKeyLocation), what: 'signingKeyLocation' });
  if (cfg.ed25519SigningKeyLocation)
    out.push({ file: resolve(cfg.ed25519SigningKeyLocation), what: 'ed25519SigningKeyLocation' });
  if (cfg.livelogKey) out.push({ file: resolve(cfg.livelogKey), what: 'livelogKey' });
  return out;
}

/**
 * Before tasks run as other OS users: make every secret file private to the worker (generic-worker's
 * fileutil.SecureFiles at start-up: owner = the worker's user, mode 0600), then check it holds. A key
 * file that does not exist is left to the feature that needs it; anything else that fails exits 77
 * (generic-worker multiuser CANT_SECURE_CONFIG) naming the file. Returns what had to be changed.
 */
export async function secureSecretFiles(
  cfg: ResolvedConfig,
  makePrivate: (file: string) => Promise<void>,
  /** Whether only the worker's user can read or change the file; without it, every file is made private. */
  isPrivate?: (file: string) => Promise<boolean>,
): Promise<string[]> {
  const changed: string[] = [];
  for (const { file, what } of secretFiles(cfg)) {
    try {
      if (isPrivate && (await isPrivate(file))) continue;
      await makePrivate(file);
      if (isPrivate && !(await isPrivate(file))) throw new Error('other users can still read or change it');
      changed.push(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && what !== 'config file') continue;
      throw new ExitError(
        ExitCode.CANT_SECURE_CONFIG,
        `Not able to secure ${what} '${file}' so that task users cannot read it: ${(e as Error).message}`,
      );
    }
  }
  return changed;
}
