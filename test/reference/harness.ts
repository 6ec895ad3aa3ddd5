// End-to-end harness: the mock Queue on loopback (in this process), tasks created with taskcluster-client
// using the mock's admin credentials, and the real `tc-worker run` process pointed at it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import taskcluster from 'taskcluster-client';
import { request } from 'undici';
import { type MockOptions, type MockServices, startMockServices } from '../../mocks/index.ts';
import { hawkHeader } from '../../reference/queue.ts';

export const PROVISIONER = 'tc-worker-e2e';
const bin = fileURLToPath(new URL('../../bin/tc-worker.js', import.meta.url));

export interface Harness {
  mock: MockServices;
  queue: Record<string, any>;
  workerType: string;
  dir: string;
  createTask(payload: unknown, extra?: Record<string, unknown>): Promise<string>;
  config(overrides?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

let counter = 0;
export function slug(): string {
  return taskcluster.slugid();
}

export async function startHarness(opts: MockOptions = {}): Promise<Harness> {
  const mock = await startMockServices({ claimTimeoutSeconds: 30, longPollMs: 200, ...opts });
  const queue = new taskcluster.Queue({ rootUrl: mock.rootUrl, credentials: mock.admin, retries: 0 });
  // A worker type per harness keeps parallel test files from claiming each other's tasks.
  const workerType = `wt-${process.pid}-${++counter}`;
  const dir = mkdtempSync(join(tmpdir(), 'tcw-e2e-'));
  return {
    mock,
    queue,
    workerType,
    dir,
    async createTask(payload, extra = {}) {
      const taskId = slug();
      const now = Date.now();
      await queue.createTask(taskId, {
        provisionerId: PROVISIONER,
        workerType,
        created: new Date(now).toISOString(),
        deadline: new Date(now + 3_600_000).toISOString(),
        expires: new Date(now + 7 * 86_400_000).toISOString(),
        retries: 0,
        payload,
        metadata: {
          name: 'e2e',
          description: 'tc-worker e2e',
          owner: 'e2e@example.com',
          source: 'https://example.com/e2e',
        },
        ...extra,
      });
      return taskId;
    },
    config(overrides = {}) {
      return {
        accessToken: mock.admin.accessToken,
        clientId: mock.admin.clientId,
        rootURL: mock.rootUrl,
        provisionerId: PROVISIONER,
        workerType,
        workerGroup: 'e2e',
        workerId: `w-${counter}`,
        tasksDir: join(dir, 'tasks'),
        cachesDir: join(dir, 'caches'),
        downloadsDir: join(dir, 'downloads'),
        livelogGETPort: 0,
        // Explicit: on Windows the default is false, and `tc-worker run` would create a real task
        // user, set auto-logon and exit 67 (the multiuser cycle). Sandbox tests override it.
        runTasksAsCurrentUser: true,
        numberOfTasksToRun: 1,
        idleTimeoutSecs: 20,
        claimWorkIntervalSecs: 0.2,
        ...overrides,
      };
    },
    async close() {
      await mock.close();
      // Task directories of sandbox runs belong to deleted users by now; root removes them regardless.
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

export interface WorkerRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: string | null }>;
}

/**
 * Start `tc-worker run --config <file>` with `config` written to a fresh file in h.dir (or, given a path, with
 * that file as it is); killed after `timeoutMs` so a hung worker fails the test.
 */
export function startWorker(h: Harness, config: Record<string, unknown> | string, timeoutMs = 40_000): WorkerRun {
  let file = config;
  if (typeof file !== 'string') {
    file = join(h.dir, `worker-${Date.now()}-${Math.random().toString(36).slice(2)}.config`);
    writeFileSync(file, JSON.stringify(config));
  }
  const child = spawn(process.execPath, [bin, 'run', '--config', file], {
    cwd: h.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (err += b));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

export async function runWorker(h: Harness, config: Record<string, unknown> | string, timeoutMs?: number) {
  const w = startWorker(h, config, timeoutMs);
  const { code, signal } = await w.exit;
  return { code, signal, stdout: w.stdout(), stderr: w.stderr() };
}

export interface FetchedArtifact {
  storageType: string;
  contentType?: string;
  contentEncoding?: string;
  body?: Buffer;
  url?: string;
  reason?: string;
  message?: string;
}

/**
 * taskcluster-client signs a URL holding an apostrophe as hawk's parser escapes it (%27) but sends it raw, so
 * the Queue answers 401 "Bad mac"; such a name is asked for with the apostrophe sent as %27.
 */
async function artifactWithApostrophe(h: Harness, taskId: string, runId: number, name: string): Promise<any> {
  const url = (h.queue.buildUrl(h.queue.artifact, taskId, String(runId), name) as string).replace(/'/g, '%27');
  const res = await fetch(url, {
    headers: { authorization: hawkHeader(url, 'GET', h.mock.admin), accept: 'application/json' },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`artifact ${name}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/** An artifact as a consumer sees it through the Queue (s3 bodies fetched raw, then decoded). */
export async function fetchArtifact(h: Harness, taskId: string, runId: number, name: string): Promise<FetchedArtifact> {
  const a = name.includes("'")
    ? await artifactWithApostrophe(h, taskId, runId, name)
    : await h.queue.artifact(taskId, String(runId), name);
  if (a.storageType === 'error') return { storageType: 'error', reason: a.reason, message: a.message };
  if (a.storageType === 'reference') return { storageType: 'reference', url: a.url };
  if (a.storageType === 'object') {
    // Through getArtifact's redirects, as a browser would fetch it.
    const res = await fetch(h.queue.buildSignedUrl(h.queue.getArtifact, taskId, String(runId), name));
    return {
      storageType: 'object',
      contentType: res.headers.get('content-type') ?? undefined,
      body: Buffer.from(await res.arrayBuffer()),
    };
  }
  const res = await request(a.url);
  const raw = Buffer.from(await res.body.arrayBuffer());
  const contentEncoding = res.headers['content-encoding'] as string | undefined;
  return {
    storageType: a.storageType,
    contentType: res.headers['content-type'] as string | undefined,
    contentEncoding,
    body: contentEncoding === 'gzip' ? gunzipSync(raw) : raw,
  };
}

export async function listArtifacts(h: Harness, taskId: string, runId = 0) {
  const res = await h.queue.listArtifacts(taskId, String(runId));
  return res.artifacts as Array<{ name: string; storageType: string; contentType: string; expires: string }>;
}

export async function taskLog(h: Harness, taskId: string, runId = 0): Promise<string> {
  const a = await fetchArtifact(h, taskId, runId, 'public/logs/live_backing.log');
  return a.body!.toString('utf8');
}

export async function lastRun(h: Harness, taskId: string) {
  const { status } = await h.queue.status(taskId);
  return status.runs.at(-1) as { runId: number; state: string; reasonResolved?: string; workerId?: string };
}
