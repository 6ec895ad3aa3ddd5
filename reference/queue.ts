// Queue clients (taskcluster-client, Hawk-signed). The worker's permanent credentials are used only for
// claimWork; everything task-scoped goes through a RunCredentials holder whose client is replaced each
// time reclaimTask hands out new temporary credentials. The client itself retries 5xx and network errors
// with exponential backoff.
import hawk from 'hawk';
import taskcluster, { type TcCredentials } from 'taskcluster-client';
import { request } from 'undici';
import type { ResolvedConfig } from './config.ts';

export type QueueClient = Record<string, any>;

export interface TaskCredentials {
  clientId: string;
  accessToken: string;
  certificate?: string;
}

export function permanentCredentials(cfg: ResolvedConfig): TcCredentials {
  const creds: TcCredentials = { clientId: cfg.clientId, accessToken: cfg.accessToken };
  if (cfg.certificate) creds.certificate = cfg.certificate;
  return creds;
}

export function newQueue(rootUrl: string, credentials?: TcCredentials): QueueClient {
  return new taskcluster.Queue({ rootUrl, credentials, retries: 5 });
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

/** HTTP status of a taskcluster-client error, if it carried one. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** A Hawk Authorization header the way taskcluster-client makes it (certificate in `ext`). */
export function hawkHeader(url: string, method: string, creds: TcCredentials): string {
  const cert = creds.certificate;
  const certificate = typeof cert === 'string' && cert !== '' ? JSON.parse(cert) : cert || undefined;
  const ext = certificate ? Buffer.from(JSON.stringify({ certificate })).toString('base64') : undefined;
  return hawk.client.header(url, method, {
    credentials: { id: creds.clientId, key: creds.accessToken, algorithm: 'sha256' },
    ...(ext ? { ext } : {}),
  }).header;
}

export class QueueCallError extends Error {
  readonly statusCode: number | undefined;
  constructor(message: string, statusCode?: number) {
    super(message);
    this.statusCode = statusCode;
  }
}

/**
 * claimWork as a request the worker can abandon: on SIGINT/SIGTERM an idle worker drops its long poll
 * (the Queue stops claiming for a caller that disconnected) instead of waiting up to 20 s.
 */
export async function claimWork(
  queue: QueueClient,
  creds: TcCredentials,
  taskQueueId: string,
  body: { tasks: number; workerGroup: string; workerId: string },
  signal: AbortSignal,
): Promise<{ tasks: any[] }> {
  const url: string = queue.buildUrl(queue.claimWork, taskQueueId);
  const res = await request(url, {
    method: 'POST',
    headers: {
      authorization: hawkHeader(url, 'POST', creds),
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify(body),
    signal,
    headersTimeout: 60_000,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) {
    let message = text;
    try {
      message = JSON.parse(text).message ?? text;
    } catch {}
    throw new QueueCallError(`claimWork answered HTTP ${res.statusCode}: ${message.slice(0, 500)}`, res.statusCode);
  }
  return JSON.parse(text);
}
