// The worker's Taskcluster clients: the few endpoints a worker calls (Queue claimWork, reclaimTask, report*,
// createArtifact, finishArtifact and artifact URLs; purge-cache purgeRequests; worker-manager
// shouldWorkerTerminate), Hawk-signed with `hawk` exactly as taskcluster-client signs them and sent with
// node:http. taskcluster-client itself costs a start-up 0.25 s and ~45 MiB (got, every service's API
// reference); decisions/0004-start-up-cost.md has the measurements and the choice. Each call keeps
// taskcluster-client's contract: URLs from the root URL (taskcluster-lib-urls, as it uses), retries of 5xx and network errors with its backoff (5 retries,
// 100 ms × 2^attempt ± 25 %, at most 30 s), a 30 s timeout per attempt, no redirects followed, errors
// carrying `statusCode`, `code` and `body`, and a JSON answer (undefined when there is none).
//
// The worker's permanent credentials are used only for claimWork (and purgeRequests, shouldWorkerTerminate);
// everything task-scoped goes through a RunCredentials holder whose client is replaced each time
// reclaimTask hands out new temporary credentials.
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import type { Readable } from 'node:stream';
import hawk from 'hawk';
import tcUrl from 'taskcluster-lib-urls';
import type { ResolvedConfig } from './config.ts';

export interface TaskCredentials {
  clientId: string;
  accessToken: string;
  certificate?: string;
}

/** Credentials as taskcluster-client takes them: a temporary credential's certificate as JSON text or object. */
export interface TcCredentials {
  clientId: string;
  accessToken: string;
  certificate?: string | Record<string, unknown>;
}

export function permanentCredentials(cfg: ResolvedConfig): TcCredentials {
  const creds: TcCredentials = { clientId: cfg.clientId, accessToken: cfg.accessToken };
  if (cfg.certificate) creds.certificate = cfg.certificate;
  return creds;
}

/** Why a call failed: the service's answer (statusCode, code, body), or a network error (statusCode unset). */
export class TaskclusterError extends Error {
  readonly statusCode: number | undefined;
  readonly code: string;
  readonly body: unknown;
  constructor(message: string, statusCode: number | undefined, code: string, body?: unknown) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.body = body;
  }
}

/** HTTP status of a client error, if it carried one. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** `<rootUrl>/api/<service>/v1/<path>`, as taskcluster-client builds it. */
export function apiUrl(rootUrl: string, service: string, path: string): string {
  return tcUrl.api(rootUrl, service, 'v1', path);
}

/** Hawk's `ext` as taskcluster-client sends it: the temporary credentials' certificate, base64 JSON. */
function hawkExt(creds: TcCredentials): string | undefined {
  const cert = creds.certificate;
  if (!cert) return undefined;
  let certificate: unknown = cert;
  if (typeof cert === 'string') {
    try {
      certificate = JSON.parse(cert);
    } catch {
      throw new Error('JSON.parse(): Failed for configured certificate');
    }
  }
  return Buffer.from(JSON.stringify({ certificate })).toString('base64');
}

const hawkCredentials = (creds: TcCredentials) =>
  ({ id: creds.clientId, key: creds.accessToken, algorithm: 'sha256' }) as const;

/** A Hawk Authorization header the way taskcluster-client makes it (certificate in `ext`). */
export function hawkHeader(url: string, method: string, creds: TcCredentials): string {
  const ext = hawkExt(creds);
  return hawk.client.header(url, method, { credentials: hawkCredentials(creds), ...(ext ? { ext } : {}) }).header;
}

/** `url` with a Hawk bewit valid for `ttlSec`, as taskcluster-client's buildSignedUrl makes it. */
export function signUrl(url: string, creds: TcCredentials, ttlSec: number): string {
  const ext = hawkExt(creds);
  const bewit = hawk.client.getBewit(url, { credentials: hawkCredentials(creds), ttlSec, ...(ext ? { ext } : {}) });
  const u = new URL(url);
  return `${u.origin}${u.pathname}${u.search ? `${u.search}&` : '?'}bewit=${bewit}`;
}

// node:http through getBuiltinModule, not `import`: an ES import of node:http reads every export, and its
// WebSocket/CloseEvent/MessageEvent getters load Node's bundled undici (+10 MiB RSS) that nothing here uses.
type HttpModule = typeof import('node:http');
const httpModule = (protocol: string): HttpModule =>
  (protocol === 'https:'
    ? process.getBuiltinModule('node:https')
    : process.getBuiltinModule('node:http')) as HttpModule;

// taskcluster-client's agents: a fresh connection per request (keepAlive false), at most 50 at a time.
const agents = new Map<string, Agent>();
function agentFor(protocol: string): Agent {
  let a = agents.get(protocol);
  if (!a) {
    a = new (httpModule(protocol).Agent)({ keepAlive: false, maxSockets: 50 });
    agents.set(protocol, a);
  }
  return a;
}

export interface HttpAnswer {
  statusCode: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * One HTTP exchange with node:http: `body` is a string, a Buffer or a stream (its length must be in the
 * headers), the answer's body is read as text. Rejects on network errors, `timeoutMs` and `signal`.
 */
export function httpRequest(
  url: string,
  o: {
    method: string;
    headers?: Record<string, string>;
    body?: string | Buffer | Readable;
    timeoutMs?: number;
    /** Fail when the connection sees no traffic for this long (undici's headers/body timeouts are 300 s). */
    idleTimeoutMs?: number;
    signal?: AbortSignal;
    /** Read the answer's body (default); false drains it. */
    readBody?: boolean;
  },
): Promise<HttpAnswer> {
  const u = new URL(url);
  const options: RequestOptions = {
    method: o.method,
    headers: o.headers,
    agent: agentFor(u.protocol),
    ...(o.signal ? { signal: o.signal } : {}),
  };
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const req: ClientRequest = httpModule(u.protocol).request(u, options, (res) => {
      const chunks: Buffer[] = [];
      if (o.readBody === false) res.resume();
      else res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          statusCode: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    function fail(err: Error) {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    if (o.idleTimeoutMs) {
      req.setTimeout(o.idleTimeoutMs, () =>
        req.destroy(
          Object.assign(new Error(`no answer for ${o.idleTimeoutMs} ms: ${o.method} ${url}`), { code: 'ETIMEDOUT' }),
        ),
      );
    }
    if (o.timeoutMs) {
      timer = setTimeout(() => {
        req.destroy(
          Object.assign(new Error(`timeout after ${o.timeoutMs} ms: ${o.method} ${url}`), { code: 'ECONNABORTED' }),
        );
      }, o.timeoutMs);
    }
    const b = o.body;
    if (b === undefined || typeof b === 'string' || Buffer.isBuffer(b)) req.end(b);
    else {
      b.on('error', (e) => req.destroy(e));
      // A request that ends early (error, timeout) must not leave the file it was sending open.
      req.on('close', () => {
        if (!b.readableEnded) b.destroy();
      });
      b.pipe(req);
    }
  });
}

export interface CallOptions {
  retries?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A Hawk-signed JSON call with taskcluster-client's semantics: 5xx answers and network errors are retried
 * (`retries` times after the first attempt), anything else under 200 or from 300 up is an error at once.
 */
export async function signedCall(
  method: string,
  url: string,
  credentials: TcCredentials | undefined,
  payload?: unknown,
  o: CallOptions = {},
): Promise<any> {
  const retries = o.retries ?? 5;
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = {
      'content-length': String(body === undefined ? 0 : Buffer.byteLength(body)),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (credentials?.clientId && credentials.accessToken) headers.authorization = hawkHeader(url, method, credentials);
    let error: Error;
    try {
      const res = await httpRequest(url, { method, headers, body, timeoutMs: o.timeoutMs ?? 30_000, signal: o.signal });
      const json = (res.headers['content-type'] ?? '').startsWith('application/json') && res.body.length > 0;
      const parsed = json ? JSON.parse(res.body) : undefined;
      if (res.statusCode >= 200 && res.statusCode < 300) return parsed;
      const generic =
        res.statusCode === 401
          ? 'Authentication Error'
          : res.statusCode === 500
            ? 'Internal Server Error'
            : res.statusCode >= 300 && res.statusCode < 400
              ? 'Unexpected Redirect'
              : 'Unknown Server Error';
      const err = new TaskclusterError(
        parsed?.message || generic,
        res.statusCode,
        parsed?.code || 'UnknownError',
        parsed ?? res.body,
      );
      if (res.statusCode < 500 || res.statusCode >= 600) throw err;
      error = err;
    } catch (e) {
      if (e instanceof TaskclusterError && (e.statusCode ?? 0) < 500) throw e;
      if (o.signal?.aborted) throw e;
      error = e as Error;
    }
    if (attempt > retries) throw error;
    const delay = 2 ** attempt * 100 * (Math.random() * 0.5 + 0.75);
    await sleep(Math.min(delay, 30_000));
  }
}

// URL parameters (artifact names may hold any printable ASCII) with ' escaped too: hawk signs the URL as its
// parser escapes it (' as %27), so the path sent must carry the same bytes or the Queue answers "Bad mac".
const enc = (s: string): string => encodeURIComponent(s).replace(/'/g, '%27');

/** The Queue endpoints a worker calls, signed with one set of credentials. */
export class QueueClient {
  readonly rootUrl: string;
  readonly credentials: TcCredentials | undefined;
  private readonly retries: number;

  constructor(rootUrl: string, credentials?: TcCredentials, opts: { retries?: number } = {}) {
    this.rootUrl = rootUrl.replace(/\/$/, '');
    this.credentials = credentials;
    this.retries = opts.retries ?? 5;
  }

  url(path: string): string {
    return apiUrl(this.rootUrl, 'queue', path);
  }

  private call(method: string, path: string, payload?: unknown): Promise<any> {
    return signedCall(method, this.url(path), this.credentials, payload, { retries: this.retries });
  }

  /**
   * claimWork as one request the worker can abandon (no retries: the claim loop backs off itself): on
   * SIGINT/SIGTERM an idle worker drops its long poll instead of waiting for it to end.
   */
  claimWork(
    taskQueueId: string,
    body: { tasks: number; workerGroup: string; workerId: string },
    signal?: AbortSignal,
  ): Promise<{ tasks: any[] }> {
    return signedCall('POST', this.url(`/claim-work/${enc(taskQueueId)}`), this.credentials, body, {
      retries: 0,
      timeoutMs: 60_000,
      signal,
    });
  }

  reclaimTask(taskId: string, runId: string): Promise<any> {
    return this.call('POST', `/task/${enc(taskId)}/runs/${enc(runId)}/reclaim`);
  }

  reportCompleted(taskId: string, runId: string): Promise<any> {
    return this.call('POST', `/task/${enc(taskId)}/runs/${enc(runId)}/completed`);
  }

  reportFailed(taskId: string, runId: string): Promise<any> {
    return this.call('POST', `/task/${enc(taskId)}/runs/${enc(runId)}/failed`);
  }

  reportException(taskId: string, runId: string, payload: { reason: string }): Promise<any> {
    return this.call('POST', `/task/${enc(taskId)}/runs/${enc(runId)}/exception`, payload);
  }

  createArtifact(taskId: string, runId: string | number, name: string, payload: unknown): Promise<any> {
    return this.call('POST', `/task/${enc(taskId)}/runs/${enc(String(runId))}/artifacts/${enc(name)}`, payload);
  }

  finishArtifact(taskId: string, runId: string, name: string, payload: unknown): Promise<any> {
    return this.call('PUT', `/task/${enc(taskId)}/runs/${enc(runId)}/artifacts/${enc(name)}`, payload);
  }

  /** getLatestArtifact's URL; with `signedForSecs`, carrying a bewit of these credentials. */
  latestArtifactUrl(taskId: string, name: string, signedForSecs?: number): string {
    const url = this.url(`/task/${enc(taskId)}/artifacts/${enc(name)}`);
    if (signedForSecs === undefined) return url;
    if (!this.credentials?.clientId || !this.credentials.accessToken) throw new Error('credentials must be given');
    return signUrl(url, this.credentials, signedForSecs);
  }
}

/** The worker loop's claimWork: a refusal names the status and the Queue's message. */
export async function claimWork(
  queue: QueueClient,
  taskQueueId: string,
  body: { tasks: number; workerGroup: string; workerId: string },
  signal: AbortSignal,
): Promise<{ tasks: any[] }> {
  try {
    return await queue.claimWork(taskQueueId, body, signal);
  } catch (e) {
    if (!(e instanceof TaskclusterError) || e.statusCode === undefined) throw e;
    throw new TaskclusterError(
      `claimWork answered HTTP ${e.statusCode}: ${e.message.slice(0, 500)}`,
      e.statusCode,
      e.code,
      e.body,
    );
  }
}

export function newQueue(rootUrl: string, credentials?: TcCredentials): QueueClient {
  return new QueueClient(rootUrl, credentials, { retries: 5 });
}

/** purge-cache's purgeRequests: the caches to purge for a worker pool, since a time. */
export function purgeRequests(
  rootUrl: string,
  credentials: TcCredentials,
  workerPoolId: string,
  query: { since?: string },
): Promise<any> {
  const qs = query.since ? `?since=${enc(query.since)}` : '';
  return signedCall('GET', `${apiUrl(rootUrl, 'purge-cache', `/purge-cache/${enc(workerPoolId)}`)}${qs}`, credentials);
}

/** The run's current temporary credentials and the Queue client signed with them. */
export class RunCredentials {
  readonly rootUrl: string;
  private client: QueueClient;
  credentials: TaskCredentials;

  constructor(rootUrl: string, credentials: TaskCredentials) {
    this.rootUrl = rootUrl;
    this.credentials = credentials;
    this.client = newQueue(rootUrl, credentials);
  }

  get queue(): QueueClient {
    return this.client;
  }

  replace(credentials: TaskCredentials): void {
    this.credentials = credentials;
    this.client = newQueue(this.rootUrl, credentials);
  }
}
