// Queue clients (taskcluster-client, Hawk-signed). The worker's permanent credentials are used only for
// claimWork; everything task-scoped goes through a RunCredentials holder whose client is replaced each
// time reclaimTask hands out new temporary credentials. The client itself retries 5xx and network errors
// with exponential backoff.
import taskcluster, { type TcCredentials } from 'taskcluster-client';
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
  private readonly rootUrl: string;
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
