// taskcluster-client 87 ships no types. Only what the kit uses is typed; API methods stay loose
// because they are generated at run time from the service references.
declare module 'taskcluster-client' {
  export interface TcCredentials {
    clientId: string;
    accessToken: string;
    certificate?: string | Record<string, unknown>;
  }
  export interface TcClientOptions {
    rootUrl: string;
    credentials?: TcCredentials;
    authorizedScopes?: string[];
    retries?: number;
    timeout?: number;
  }
  export interface TemporaryCredentialsOptions {
    start?: Date;
    expiry: Date;
    scopes: string[];
    clientId?: string;
    credentials: TcCredentials;
  }
  export function createTemporaryCredentials(opts: TemporaryCredentialsOptions): {
    clientId: string;
    accessToken: string;
    certificate: string;
  };
  export type TcClient = new (opts: TcClientOptions) => Record<string, any>;
  const taskcluster: {
    Queue: TcClient;
    Object: TcClient;
    PurgeCache: TcClient;
    Auth: TcClient;
    createTemporaryCredentials: typeof createTemporaryCredentials;
    [name: string]: any;
  };
  export default taskcluster;
}
