// The worker side of the start-up, task-overhead and idle-rss benchmarks: run a worker process (tc-worker, or
// generic-worker when GENERIC_WORKER_BIN names one) against the bench's mock Queue with N tiny tasks queued
// before it starts, time it from spawn, check every task ended `completed` (a worker that refuses tasks, e.g.
// a generic-worker without its live log, would otherwise be timed refusing them), and measure the physical
// floor the figures are set against: spawning /bin/true, and a Hawk-signed loopback round trip to the mock.
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import taskcluster from 'taskcluster-client';
import { type MockServices, startMockServices } from '../mocks/index.ts';
import { type BenchOptions, createTask, median, PROVISIONER, procStatus, tempDir } from './common.ts';

const workerBin = fileURLToPath(new URL('../bin/tc-worker.js', import.meta.url));
const rttChild = fileURLToPath(new URL('./rtt-child.ts', import.meta.url));

/** A worker the benchmarks can run: how to start it and the config keys it needs beyond the common ones. */
export interface Subject {
  name: 'tc-worker' | 'generic-worker';
  command: string;
  args(configFile: string): string[];
  versionArgs: string[];
  env: NodeJS.ProcessEnv;
  extraConfig(dir: string): Promise<Record<string, unknown>>;
}

/** Consecutive free loopback ports (generic-worker's live log takes a base port and the next one). */
async function freePorts(count: number): Promise<number[]> {
  const listen = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 12000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await listen(base + i);
    if (ok) return Array.from({ length: count }, (_, i) => base + i);
  }
  throw new Error(`no ${count} consecutive free loopback ports`);
}

export const tcWorker: Subject = {
  name: 'tc-worker',
  command: process.execPath,
  args: (config) => [workerBin, 'run', '--config', config],
  versionArgs: [workerBin, '--version'],
  env: process.env,
  extraConfig: async () => ({ livelogGETPort: 0, livelogPUTPort: 0, taskclusterProxyPort: 0 }),
};

/**
 * generic-worker v106 (insecure engine) from GENERIC_WORKER_BIN, or undefined with the reason. Its live log,
 * resource monitor and metadata features are enabled: the payload schema turns the first two on by default
 * and metadata is always requested, so with any of them disabled every task is refused as malformed-payload
 * (see /work/shared/reference/generic-worker-runs/README.md, "The profile edits"). The livelog binary is
 * looked up on PATH; the directory of GENERIC_WORKER_BIN goes first on it.
 */
export function genericWorker(): Subject | string {
  const bin = process.env.GENERIC_WORKER_BIN;
  if (!bin) return 'GENERIC_WORKER_BIN is not set';
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    return `GENERIC_WORKER_BIN (${bin}) is not an executable file`;
  }
  return {
    name: 'generic-worker',
    command: bin,
    args: (config) => ['run', '--config', config],
    versionArgs: ['--version'],
    env: { ...process.env, PATH: `${dirname(bin)}${delimiter}${process.env.PATH ?? ''}` },
    extraConfig: async (dir) => {
      const key = join(dir, 'ed25519.key');
      const der = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' });
      writeFileSync(key, der.subarray(der.length - 32).toString('base64'), { mode: 0o600 });
      const [live, , interactive, proxy] = await freePorts(4);
      return {
        ed25519SigningKeyLocation: key,
        publicIP: '127.0.0.1',
        livelogPortBase: live,
        interactivePort: interactive,
        taskclusterProxyPort: proxy,
        enableLiveLog: true,
        enableResourceMonitor: true,
        enableMetadata: true,
        enableInteractive: false,
        enableTaskclusterProxy: false,
        sentryProject: '',
        requiredDiskSpaceMegabytes: 16,
      };
    },
  };
}

/** The subjects of this run, logging one line for generic-worker when it is absent. */
export function subjects(log: (line: string) => void): Subject[] {
  const gw = genericWorker();
  if (typeof gw === 'string') {
    log(`generic-worker column skipped: ${gw}`);
    return [tcWorker];
  }
  return [tcWorker, gw];
}

export interface WorkerRun {
  subject: string;
  tasks: number;
  exitCode: number | null;
  /** spawn → process exit. */
  wallMs: number;
  /** spawn → the first claimWork request reaching the mock. */
  firstClaimMs: number | null;
  /** Mock requests the run made (claimWork, task-scoped calls and store PUTs), from the trace. */
  requests: number;
  /** VmRSS when sampled at `rssAtMs` (Linux), else null. */
  rssAt: number | null;
  peakRss: number | null;
}

export class WorkerBench {
  readonly mock: MockServices;
  readonly admin: Record<string, any>;
  private readonly tmp: { dir: string; remove(): void };
  private n = 0;

  private constructor(mock: MockServices, tmp: { dir: string; remove(): void }) {
    this.mock = mock;
    this.tmp = tmp;
    this.admin = new taskcluster.Queue({ rootUrl: mock.rootUrl, credentials: mock.admin, retries: 0 });
  }

  static async start(): Promise<WorkerBench> {
    // Long polls as in the conformance runner: an idle worker holds one open for 2 s at a time.
    const mock = await startMockServices({ claimTimeoutSeconds: 1200, longPollMs: 2000 });
    return new WorkerBench(mock, tempDir('workers'));
  }

  async close(): Promise<void> {
    await this.mock.close();
    this.tmp.remove();
  }

  /**
   * Queue `tasks` tasks running `/bin/true` on a fresh task queue, start the worker with numberOfTasksToRun
   * set to that (or, for 0 tasks, until `killAtMs`), and wait for it to end. Throws unless it exited as
   * expected and every task ended `completed`.
   */
  async run(s: Subject, o: { tasks: number; rssAtMs?: number; killAtMs?: number }): Promise<WorkerRun> {
    const id = ++this.n;
    const workerType = `wb-${process.pid}-${id}`;
    const dir = join(this.tmp.dir, `${s.name}-${id}`);
    mkdirSync(dir, { recursive: true });
    const taskIds: string[] = [];
    for (let i = 0; i < o.tasks; i++)
      taskIds.push(await createTask(this.admin, workerType, { command: [['/bin/true']], maxRunTime: 60 }));
    const config = {
      accessToken: this.mock.admin.accessToken,
      clientId: this.mock.admin.clientId,
      rootURL: this.mock.rootUrl,
      provisionerId: PROVISIONER,
      workerType,
      workerGroup: 'bench',
      workerId: `${s.name}-${id}`,
      tasksDir: join(dir, 'tasks'),
      cachesDir: join(dir, 'caches'),
      downloadsDir: join(dir, 'downloads'),
      numberOfTasksToRun: o.tasks,
      idleTimeoutSecs: o.tasks > 0 ? 60 : 600,
      ...(await s.extraConfig(dir)),
    };
    const configFile = join(dir, 'worker.config');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const seq = this.mock.trace.last();
    const spawnedAt = Date.now();
    const t0 = performance.now();
    const child: ChildProcess = spawn(s.command, s.args(configFile), {
      cwd: dir,
      env: s.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (b) => {
      stderr = (stderr + b).slice(-8000);
    });
    let peakRss: number | null = null;
    const sampler = setInterval(() => {
      const v = child.pid ? procStatus(child.pid, 'VmHWM') : null;
      if (v !== null) peakRss = Math.max(peakRss ?? 0, v);
    }, 50);
    let rssAt: number | null = null;
    const rssTimer =
      o.rssAtMs !== undefined
        ? setTimeout(() => {
            rssAt = child.pid ? procStatus(child.pid, 'VmRSS') : null;
          }, o.rssAtMs)
        : undefined;
    const killer = setTimeout(() => child.kill('SIGKILL'), o.killAtMs ?? 120_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    const wallMs = performance.now() - t0;
    clearInterval(sampler);
    clearTimeout(killer);
    if (rssTimer) clearTimeout(rssTimer);
    const trace = this.mock.trace
      .since(seq)
      .filter(
        (e) =>
          (e.route === 'claimWork' && e.path.includes(workerType)) ||
          (e.taskId !== undefined && taskIds.includes(e.taskId)),
      );
    const firstClaim = trace.find((e) => e.route === 'claimWork');
    if (o.tasks > 0) {
      if (code !== 0) throw new Error(`${s.name} exited ${code} (expected 0): ${stderr.trim().slice(-1500)}`);
      for (const taskId of taskIds) {
        const { status } = await this.admin.status(taskId);
        const last = status.runs.at(-1);
        if (last?.state !== 'completed')
          throw new Error(
            `${s.name}: bench task ${taskId} ended ${last?.state}/${last?.reasonResolved}, not completed: ${stderr.trim().slice(-1500)}`,
          );
      }
    }
    return {
      subject: s.name,
      tasks: o.tasks,
      exitCode: code,
      wallMs,
      firstClaimMs: firstClaim ? Date.parse(firstClaim.time) - spawnedAt : null,
      requests: trace.length,
      rssAt,
      peakRss,
    };
  }

  /** The physical floor every worker figure is set against: spawning /bin/true, one Hawk-signed round trip. */
  async floor(opts: BenchOptions, bench: string): Promise<{ spawnTrue: number; rtt: number }> {
    opts.log(`${bench}: floor (spawn /bin/true, loopback round trip to the mock)`);
    const spawnTrue = await this.spawnMs('/bin/true', [], opts.quick ? 5 : 15);
    return { spawnTrue, rtt: await this.roundTripMs(opts.quick ? 20 : 100) };
  }

  /** Median wall time of `runs` spawns of a command that exits at once (`/bin/true`, `--version`). */
  async spawnMs(command: string, args: string[], runs: number, env?: NodeJS.ProcessEnv): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const child = spawn(command, args, { stdio: 'ignore', env: env ?? process.env });
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}`);
      times.push(performance.now() - t0);
    }
    return median(times);
  }

  /** Mean time of one Hawk-signed loopback round trip to the mock (a fresh connection each), from a child. */
  async roundTripMs(count: number): Promise<number> {
    const taskId = await createTask(this.admin, `rtt-${process.pid}`, { command: [['/bin/true']], maxRunTime: 60 });
    const child = spawn(
      process.execPath,
      [rttChild, this.mock.rootUrl, JSON.stringify(this.mock.admin), taskId, String(count)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout!.on('data', (b) => (out += b));
    child.stderr!.on('data', (b) => (err += b));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`rtt-child exited ${code}: ${err.trim()}`);
    return JSON.parse(out).meanMs;
  }
}
