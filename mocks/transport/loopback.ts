// The real HTTP transport: node:http on loopback, IncomingMessage → Request → msw getResponse →
// ServerResponse. Knows nothing about the Queue; an unhandled request gets a JSON 404.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getResponse, type RequestHandler } from 'msw';
import { attachBodyStream } from '../body.ts';

export interface LoopbackServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Paths whose bodies may be large: streamed through the side channel instead of msw's tee'd clone. */
const STREAMED = /^\/store\//;

async function serve(handlers: RequestHandler[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const url = `http://${req.headers.host ?? '127.0.0.1'}${req.url}`;
  const method = req.method ?? 'GET';
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.set(k, v);
  }
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const streamed = hasBody && STREAMED.test(new URL(url).pathname);
  const request = new Request(url, {
    method,
    headers,
    signal: abort.signal,
    ...(hasBody && !streamed ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
  } as RequestInit);
  if (streamed) attachBodyStream(request, req);
  const response = await getResponse(handlers, request);
  if (!response) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ code: 'ResourceNotFound', message: `No such route: ${method} ${req.url}`, requestInfo: {} }),
    );
    return;
  }
  if (response.type === 'error') {
    // An injected connection reset: drop the socket without an answer.
    req.socket.destroy();
    return;
  }
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    out[k] = v;
  });
  res.writeHead(response.status, out);
  if (response.body) await pipeline(Readable.fromWeb(response.body as any), res);
  else res.end();
}

export async function listenLoopback(
  handlers: RequestHandler[],
  host = '127.0.0.1',
  port = 0,
): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    serve(handlers, req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'InternalServerError', message: String(err), requestInfo: {} }));
      } else res.destroy();
    });
  });
  // Long polls hold requests for up to longPollMs; keep-alive sockets must not keep close() waiting.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${shownHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
