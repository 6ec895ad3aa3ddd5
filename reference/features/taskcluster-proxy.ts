// features.taskclusterProxy: an HTTP proxy on loopback that forwards `<proxy>/<service>/<version>/<path>`
// (or `<proxy>/api/<service>/...`) to `<rootUrl>/api/<service>/<version>/<path>`, Hawk-signed with the
// run's current temporary credentials (read per request, so every reclaim's new credentials are used at
// once) and restricted to the task's scopes through ext.authorizedScopes. TASKCLUSTER_PROXY_URL tells the
// commands where it is. Bodies stream both ways; redirects are passed back, not followed. POST /bewit
// signs the URL in its body (a bewit), for tools that can only do plain GETs.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import hawk from 'hawk';
import { proxyPort, type ResolvedConfig } from '../config.ts';
import type { TaskCredentials } from '../queue.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, TaskError, type TaskFeature } from './feature.ts';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
]);

/** The upstream URL for a proxy request path, or undefined when it names no service. */
export function upstreamUrl(rootUrl: string, reqUrl: string): string | undefined {
  const u = new URL(reqUrl, 'http://proxy');
  const parts = u.pathname
    .replace(/^\/api\//, '/')
    .split('/')
    .filter(Boolean);
  if (parts.length < 2) return undefined;
  return `${rootUrl.replace(/\/+$/, '')}/api/${parts.join('/')}${u.search}`;
}

/** Taskcluster's Hawk `ext`: the temporary-credentials certificate and the authorizedScopes restriction. */
function hawkExt(creds: TaskCredentials, authorizedScopes: string[]): string {
  const ext: Record<string, unknown> = { authorizedScopes };
  if (creds.certificate) {
    ext.certificate = typeof creds.certificate === 'string' ? JSON.parse(creds.certificate) : creds.certificate;
  }
  return Buffer.from(JSON.stringify(ext)).toString('base64');
}

const hawkCredentials = (creds: TaskCredentials) =>
  ({ id: creds.clientId, key: creds.accessToken, algorithm: 'sha256' }) as const;

/** The Hawk Authorization header Taskcluster expects for temporary credentials + authorizedScopes. */
export function hawkHeader(url: string, method: string, creds: TaskCredentials, authorizedScopes: string[]): string {
  return hawk.client.header(url, method, {
    credentials: hawkCredentials(creds),
    ext: hawkExt(creds, authorizedScopes),
  }).header;
}

/** A URL signed with a bewit (valid one hour), as taskcluster-proxy's POST /bewit returns it. */
export function bewitUrl(url: string, creds: TaskCredentials, authorizedScopes: string[]): string {
  const bewit = hawk.client.getBewit(url, {
    credentials: hawkCredentials(creds),
    ttlSec: 3600,
    ext: hawkExt(creds, authorizedScopes),
  });
  return `${url}${url.includes('?') ? '&' : '?'}bewit=${encodeURIComponent(bewit)}`;
}

async function readSmallBody(req: IncomingMessage, limit: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

class ProxyTask implements TaskFeature {
  private readonly ctx: TaskContext;
  private server: Server | undefined;
  private undici: typeof import('undici') | undefined;

  constructor(ctx: TaskContext) {
    this.ctx = ctx;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { ctx } = this;
    if (req.method === 'POST' && new URL(req.url ?? '/', 'http://proxy').pathname === '/bewit') {
      // The body is a URL; the answer is that URL signed for an hour with the task's credentials and scopes.
      let url: string;
      try {
        url = new URL((await readSmallBody(req, 8192)).trim()).toString();
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`taskcluster-proxy: POST /bewit needs a URL as its body: ${(err as Error).message}\n`);
        return;
      }
      const signed = bewitUrl(url, ctx.credentials.credentials, ctx.task.scopes ?? []);
      res.writeHead(303, { location: signed, 'content-type': 'text/plain' });
      res.end(signed);
      return;
    }
    const target = upstreamUrl(ctx.config.rootUrl, req.url ?? '/');
    if (!target) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('taskcluster-proxy: use /<service>/<version>/<path>, e.g. /queue/v1/ping\n');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const method = req.method ?? 'GET';
    headers.authorization = hawkHeader(target, method, ctx.credentials.credentials, ctx.task.scopes ?? []);
    const hasBody = !['GET', 'HEAD'].includes(method);
    try {
      const { request } = this.undici!;
      const up = await request(target, { method: method as 'GET', headers, body: hasBody ? req : undefined });
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(up.statusCode, out);
      await pipeline(up.body, res); // streams with backpressure: large artifacts are never held whole
    } catch (err) {
      if (res.headersSent) {
        res.destroy(); // mid-body: the client sees a truncated response, not a forged end
        return;
      }
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`taskcluster-proxy: upstream request failed: ${(err as Error).message}\n`);
    }
  }

  async start(): Promise<void> {
    const { ctx } = this;
    // undici loads with the first task that uses the proxy, not with the worker (decisions/0004-start-up-cost.md),
    // and as the task starts rather than at its first request: evaluating it holds the event loop, and at the
    // start of a claim there is the most time before the reclaim is due.
    this.undici = await import('undici');
    // getBuiltinModule: an ES import of node:http would load Node's bundled undici for its WebSocket export.
    const server = process.getBuiltinModule('node:http').createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(proxyPort(ctx.config, ctx.slot), '127.0.0.1', () => resolve());
      });
    } catch (err) {
      throw new TaskError(
        'internal-error',
        `[taskcluster-proxy] Could not start taskcluster proxy: ${(err as Error).message}`,
      );
    }
    this.server = server;
    const { port } = server.address() as AddressInfo;
    ctx.env.TASKCLUSTER_PROXY_URL = `http://127.0.0.1:${port}`;
    ctx.log.info(`[taskcluster-proxy] Successfully started taskcluster-proxy on port ${port}`);
    // Log each credential refresh as generic-worker does (requests always read the current ones).
    const run = ctx.credentials;
    const replace = run.replace.bind(run);
    run.replace = (creds: TaskCredentials) => {
      replace(creds);
      ctx.log.info(`[taskcluster-proxy] Successfully refreshed taskcluster-proxy credentials: ${creds.clientId}`);
    };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export const taskclusterProxyFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'taskcluster-proxy',
  after: ['payload-validator'],
  enabled: (cfg) =>
    (cfg as { enableTaskclusterProxy?: boolean }).enableTaskclusterProxy === false
      ? 'config enableTaskclusterProxy is false'
      : true,
  requested: (ctx) => ctx.payload?.features?.taskclusterProxy === true,
  forTask: (ctx) => new ProxyTask(ctx),
};
