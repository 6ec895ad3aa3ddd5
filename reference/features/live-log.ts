// On unless features.liveLog is false (needs config enableLiveLog): while a task runs its log is served
// (an in-process replacement for the livelog binary) at http(s)://<publicIP>:<livelogGETPort>/log/<random
// token> (https with livelogCertificate + livelogKey), published as a `reference` artifact
// public/logs/live.log; when the task ends that artifact becomes a `link` to public/logs/live_backing.log
// (current generic-worker). The token is random per task, so no configured secret ever appears in a URL.
// Like generic-worker's livelog process (livelog_feature.go LiveLogTask.Start/Stop), the server listens only
// while a task that wants it runs, and is best effort: when it cannot listen the task runs without a live log.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { liveLogPort, type ResolvedConfig } from '../config.ts';
import type { TaskLog } from '../task-log.ts';
import type { TaskContext } from '../task-run.ts';
import { backingLogName, backingLogRequested, LOG_CONTENT_TYPE } from './backing-log.ts';
import type { Feature } from './feature.ts';

export const LIVE_LOG_NAME = 'public/logs/live.log';

/** Serves the live logs of the tasks currently running, by token. */
export class LiveLogServer {
  private server: Server | undefined;
  /** Each served log by token, with the end of every response reading it. */
  private readonly logs = new Map<string, { log: TaskLog; readers: Set<() => void> }>();
  /** The listen in progress or done, shared by the tasks that open the server together. */
  private listening: Promise<void> | undefined;
  private users = 0;
  port = 0;
  scheme: 'http' | 'https' = 'http';

  /** One more task serves its log: listens unless already listening; rejects when it cannot listen. */
  async open(host: string, port: number, tls?: { certFile: string; keyFile: string }): Promise<void> {
    this.users++;
    this.listening ??= this.listen(host, port, tls);
    try {
      await this.listening;
    } catch (e) {
      this.users--;
      if (this.users === 0) this.listening = undefined; // the next task tries again
      throw e;
    }
  }

  /**
   * A task that opened the server is done with it; the last one stops listening. Responses still sending
   * (ended by remove()) finish on their own connections.
   */
  release(): void {
    if (--this.users > 0) return;
    this.users = 0;
    this.listening = undefined;
    this.server?.close();
    this.server = undefined;
  }

  /** Listen on host:port (0 = any free port); https when a certificate and key (PEM files) are given. */
  async listen(host: string, port: number, tls?: { certFile: string; keyFile: string }): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const m = /^\/log\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
      const served = m ? this.logs.get(m[1]!) : undefined;
      if (!served || req.method !== 'GET') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such live log\n');
        return;
      }
      const { log, readers } = served;
      res.writeHead(200, { 'content-type': LOG_CONTENT_TYPE, 'cache-control': 'no-cache' });
      // Subscribe first, then stream what was written up to now (through the log's own descriptor, never
      // its path, which the task could redirect), then the buffered and live bytes. The response ends when
      // the log closes or the task stops serving it, whichever comes first.
      const upTo = log.size;
      const pending: Buffer[] = [];
      let live = false;
      let ended = false;
      const onData = (b: Buffer) => {
        if (ended) return;
        if (live) res.write(b);
        else pending.push(b);
      };
      const finish = () => {
        ended = true;
        if (live) res.end();
      };
      log.on('data', onData);
      log.once('close', finish);
      readers.add(finish);
      res.on('close', () => {
        log.off('data', onData);
        log.off('close', finish);
        readers.delete(finish);
      });
      const head = upTo > 0 ? log.snapshot(upTo).open() : undefined;
      const goLive = () => {
        for (const b of pending) res.write(b);
        live = true;
        if (ended || log.closed) res.end();
      };
      if (!head) goLive();
      else {
        head.on('error', () => res.destroy());
        head.on('end', goLive);
        head.pipe(res, { end: false });
      }
    };
    // node:http(s) through getBuiltinModule: an ES import of node:http loads Node's bundled undici for its
    // WebSocket export (+10 MiB), and node:https loads TLS, needed only with a certificate.
    const server: Server = tls
      ? (process
          .getBuiltinModule('node:https')
          .createServer(
            { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
            handler,
          ) as unknown as Server)
      : process.getBuiltinModule('node:http').createServer(handler);
    this.scheme = tls ? 'https' : 'http';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    server.unref(); // never the reason the worker process stays alive
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  add(token: string, log: TaskLog): void {
    this.logs.set(token, { log, readers: new Set() });
  }

  /** Stops serving the log: new requests get 404, and every reader gets what was written so far, then the end. */
  remove(token: string): void {
    const served = this.logs.get(token);
    this.logs.delete(token);
    for (const finish of served?.readers ?? []) finish();
  }

  close(): void {
    this.server?.close();
    this.server?.closeAllConnections();
    this.server = undefined;
  }
}

/**
 * Where the live log server listens: livelogListenAddress when the operator gives one; otherwise every
 * interface when publicIP is set, as generic-worker v106 does (tools/livelog main.go portAddressOrExit
 * and expose/local.go listen on ":<port>"), and loopback when it is not.
 */
export function listenAddress(cfg: Pick<ResolvedConfig, 'publicIP' | 'livelogListenAddress'>): string {
  if (cfg.livelogListenAddress) return cfg.livelogListenAddress;
  return cfg.publicIP ? '0.0.0.0' : '127.0.0.1';
}

export function createLiveLogFeature(): Feature<ResolvedConfig, TaskContext, TaskContext> & { server: LiveLogServer } {
  const server = new LiveLogServer();
  let publicHost = '127.0.0.1';
  let host = '127.0.0.1';
  let port = 0;
  let tls: { certFile: string; keyFile: string } | undefined;
  return {
    name: 'live-log',
    after: ['backing-log', 'payload-validator'],
    server,
    async initialise(cfg) {
      publicHost = cfg.publicIP || '127.0.0.1';
      host = listenAddress(cfg);
      port = liveLogPort(cfg);
      tls =
        cfg.livelogCertificate && cfg.livelogKey
          ? { certFile: cfg.livelogCertificate, keyFile: cfg.livelogKey }
          : undefined;
    },
    enabled: (cfg) => cfg.enableLiveLog || 'config enableLiveLog is false',
    requested: (ctx) => ctx.payload?.features?.liveLog !== false,
    forTask(ctx) {
      const token = randomBytes(18).toString('base64url');
      const name: string = ctx.payload.logs?.live ?? LIVE_LOG_NAME;
      let serving = false;
      return {
        reservedArtifacts: [name],
        async start() {
          try {
            await server.open(host, port, tls);
          } catch (e) {
            ctx.log.warn(
              `Could not serve the live log on ${host}:${port} (${(e as Error).message}); running without it`,
            );
            return;
          }
          serving = true;
          server.add(token, ctx.log);
          const until = Date.now() + (Number(ctx.payload.maxRunTime) + 900) * 1000;
          const expires = new Date(Math.min(until, Date.parse(ctx.task.expires))).toISOString();
          const shown = publicHost.includes(':') ? `[${publicHost}]` : publicHost;
          await ctx.uploader.reference(
            name,
            `${server.scheme}://${shown}:${server.port}/log/${token}`,
            LOG_CONTENT_TYPE,
            expires,
          );
        },
        async stop() {
          // Never started: no server to leave and no reference to turn into a link (as generic-worker).
          if (!serving) return;
          server.remove(token);
          server.release();
          // Without a backing log there is nothing to point at; the reference stays.
          if (!backingLogRequested(ctx.payload)) return;
          await ctx.uploader.link(name, backingLogName(ctx.payload), LOG_CONTENT_TYPE, ctx.task.expires);
        },
      };
    },
  };
}
