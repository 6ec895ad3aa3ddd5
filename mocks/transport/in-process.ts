// The in-process transport: msw's setupServer intercepts fetch/node:http in this process for one
// origin. Same handlers as the loopback server, so both produce the same trace.
import type { RequestHandler } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';

export interface InProcessTransport {
  server: SetupServer;
  close(): void;
}

export function listenInProcess(handlers: RequestHandler[]): InProcessTransport {
  const server = setupServer(...handlers);
  // Other hosts (a worker's own loopback servers, for example) pass through untouched.
  server.listen({ onUnhandledFrame: 'bypass' });
  return { server, close: () => server.close() };
}
