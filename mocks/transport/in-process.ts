// The in-process transport: msw's setupServer intercepts fetch and node:http in this process.
// Interception is process-wide and two setupServer instances would each answer the same request,
// so all in-process mock services share one server; each adds and removes its own handlers.
import type { RequestHandler } from 'msw';
import { type SetupServer, setupServer } from 'msw/node';

export interface InProcessTransport {
  close(): void;
}

let server: SetupServer | undefined;
const active: RequestHandler[][] = [];

export function listenInProcess(handlers: RequestHandler[]): InProcessTransport {
  if (!server) {
    server = setupServer();
    // Other hosts (a worker's own loopback servers, a loopback mock) pass through untouched.
    server.listen({ onUnhandledFrame: 'bypass' });
  }
  active.push(handlers);
  server.resetHandlers(...active.flat());
  let closed = false;
  return {
    close() {
      if (closed) return;
      closed = true;
      active.splice(active.indexOf(handlers), 1);
      if (active.length > 0) server!.resetHandlers(...active.flat());
      else {
        server!.close();
        server = undefined;
      }
    },
  };
}
