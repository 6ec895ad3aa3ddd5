// Assembles the mock services: models, auth, store, trace, faults, handlers, and a transport.
import { randomBytes } from 'node:crypto';
import { http, type RequestHandler } from 'msw';
import { Auth, type Client } from './auth.ts';
import { controlRoutes } from './control/handlers.ts';
import { directoryFiles, mapFiles } from './extras/files.ts';
import { extraRoutes } from './extras/handlers.ts';
import { Faults, type FaultRule } from './faults.ts';
import { objectRoutes } from './object/handlers.ts';
import { ObjectModel } from './object/model.ts';
import { purgeRoutes } from './purge-cache/handlers.ts';
import { PurgeModel } from './purge-cache/model.ts';
import { queueRoutes } from './queue/index.ts';
import { QueueModel } from './queue/model.ts';
import { createHandlers, json, type FileSource, type MockState } from './router.ts';
import { ArtifactStore } from './store.ts';
import { Trace } from './trace.ts';
import { WorkerManagerModel, workerManagerRoutes } from './worker-manager/handlers.ts';
import { listenInProcess } from './transport/in-process.ts';
import { listenLoopback } from './transport/loopback.ts';

export interface MockOptions {
  host?: string;
  port?: number;
  /** Static clients; when none are given an admin client (scope `*`) is made. */
  clients?: Client[];
  /** takenUntil = now + this (real default 1200 s). */
  claimTimeoutSeconds?: number;
  /** How long claimWork waits for work (real: 20000 ms). */
  longPollMs?: number;
  /** Write the trace here as JSON on close. */
  tracePath?: string;
  /** Injected clock (epoch ms) for the state machine. */
  now?: () => number;
  /** Fixture files served at /fixture-files/: a directory or a path → content map. */
  files?: string | Record<string, string | Uint8Array>;
  faults?: FaultRule[];
  /**
   * The deployment's `anonymous` role, granted to every request with or without credentials. Default: a
   * public deployment's (`ANONYMOUS_ROLES.public`); the deployment of the recorded real trace had none (`[]`).
   */
  anonymousScopes?: readonly string[];
  maxTaskDeadlineDays?: number;
  /** Resolve deadline-exceeded this long after the deadline (upstream 60000); default 0, exactly at it. */
  deadlineDelayMs?: number;
  /** Accept reportException reason `superseded` (the v11-era Queue); the current Queue answers 400. */
  legacySupersededReason?: boolean;
}

export interface MockServices {
  rootUrl: string;
  admin: { clientId: string; accessToken: string };
  model: QueueModel;
  objects: ObjectModel;
  purge: PurgeModel;
  workerManager: WorkerManagerModel;
  store: ArtifactStore;
  trace: Trace;
  faults: Faults;
  handlers: RequestHandler[];
  close(): Promise<void>;
  /** Settles once the services are closed, by `close()` or by `POST /mock/v1/shutdown`. */
  closed: Promise<void>;
}

export const routes = [
  ...queueRoutes,
  ...objectRoutes,
  ...purgeRoutes,
  ...workerManagerRoutes,
  ...extraRoutes,
  ...controlRoutes,
];

interface Core {
  state: MockState;
  admin: { clientId: string; accessToken: string };
  handlers: RequestHandler[];
  setRootUrl(url: string): void;
}

function makeCore(opts: MockOptions, origin?: string): Core {
  const now = opts.now ?? Date.now;
  let rootUrl = origin ?? 'http://127.0.0.1';
  let clients = opts.clients ?? [];
  let admin = clients.find((c) => c.scopes.includes('*'));
  if (clients.length === 0 || !admin) {
    admin = { clientId: 'static/mock-admin', accessToken: randomBytes(33).toString('base64url'), scopes: ['*'] };
    clients = [...clients, admin];
  }
  const auth = new Auth({ clients, now, anonymousScopes: opts.anonymousScopes });
  const store = new ArtifactStore();
  const storeUrl = (key: string, method: 'PUT' | 'GET', expires: number) => store.url(rootUrl, key, method, expires);
  const objects = new ObjectModel(now, {
    storeUrl,
    downloadUrl: (name) => `${rootUrl}/api/object/v1/download/${encodeURIComponent(name)}`,
  });
  const model = new QueueModel({
    now,
    claimTimeoutSeconds: opts.claimTimeoutSeconds ?? 1200,
    maxTaskDeadlineDays: opts.maxTaskDeadlineDays,
    deadlineDelayMs: opts.deadlineDelayMs,
    issueCredentials: (clientId, scopes, start, expiry) => auth.issue(clientId, scopes, start, expiry),
    storeUrl,
    objects,
  });
  const faults = new Faults();
  for (const f of opts.faults ?? []) faults.add(f);
  let files: FileSource | undefined;
  if (typeof opts.files === 'string') files = directoryFiles(opts.files);
  else if (opts.files) files = mapFiles(opts.files);
  const state: MockState = {
    model,
    objects,
    purge: new PurgeModel(now),
    workerManager: new WorkerManagerModel(),
    auth,
    store,
    trace: new Trace(),
    faults,
    longPollMs: opts.longPollMs ?? 20_000,
    legacySupersededReason: opts.legacySupersededReason ?? false,
    now,
    rootUrl: () => rootUrl,
    origin,
    files,
    shutdown: () => {},
  };
  const handlers = createHandlers(routes, state);
  return {
    state,
    admin: { clientId: admin.clientId, accessToken: admin.accessToken },
    handlers,
    setRootUrl(url) {
      rootUrl = url;
    },
  };
}

function services(core: Core, rootUrl: string, opts: MockOptions, stop: () => Promise<void> | void): MockServices {
  const { state } = core;
  let closing: Promise<void> | undefined;
  let settle!: (p: Promise<void>) => void;
  const closed = new Promise<void>((res) => {
    settle = res;
  });
  const svc: MockServices = {
    rootUrl,
    admin: core.admin,
    model: state.model,
    objects: state.objects,
    purge: state.purge,
    workerManager: state.workerManager,
    store: state.store,
    trace: state.trace,
    faults: state.faults,
    handlers: core.handlers,
    close() {
      closing ??= (async () => {
        state.model.close();
        await stop();
        if (opts.tracePath) state.trace.write(opts.tracePath);
        state.store.close();
      })();
      settle(closing);
      return closing;
    },
    closed,
  };
  state.shutdown = () => {
    svc.close().catch(() => {});
  };
  return svc;
}

/** The mock services on a real loopback HTTP server (for a worker in another process). */
export async function startMockServices(opts: MockOptions = {}): Promise<MockServices> {
  const core = makeCore(opts);
  const server = await listenLoopback(core.handlers, opts.host ?? '127.0.0.1', opts.port ?? 0);
  core.setRootUrl(server.url);
  return services(core, server.url, opts, () => server.close());
}

/**
 * The same services intercepted in this process by msw (for unit tests of code using fetch or
 * node:http). Requests to `origin` reach the handlers; anything else passes through.
 */
export function startInProcessMockServices(
  opts: Omit<MockOptions, 'host' | 'port'> & { origin?: string } = {},
): MockServices {
  const origin = opts.origin ?? 'http://taskcluster.mock';
  const core = makeCore(opts, origin);
  const fallback = http.all(
    ({ request }) => new URL(request.url).origin === origin,
    ({ request }) =>
      json(
        {
          code: 'ResourceNotFound',
          message: `No such route: ${request.method} ${new URL(request.url).pathname}`,
          requestInfo: {},
        },
        404,
      ),
  );
  const transport = listenInProcess([...core.handlers, fallback]);
  return services(core, origin, opts, () => transport.close());
}
