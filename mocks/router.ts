// Routes as data, turned into msw handlers. One wrapper does what every Taskcluster service does around
// a handler: URL-parameter checks, fault injection, body parsing and schema validation, Hawk
// authentication, error rendering, and the trace entry.
import { createRequire } from 'node:module';
import { brotliCompressSync, constants as zlibConstants, deflateSync, gzipSync } from 'node:zlib';
import { http, type RequestHandler } from 'msw';
import type { Auth, Caller } from './auth.ts';
import { ApiError, errorBody, type RequestInfo } from './errors.ts';
import type { Faults, Garble } from './faults.ts';
import type { ObjectModel } from './object/model.ts';
import type { PurgeModel } from './purge-cache/model.ts';
import type { QueueModel } from './queue/model.ts';
import { formatExpression, formatMissing, missing, type ScopeExpression } from './scopes.ts';
import { validateInput } from './schemas.ts';
import type { ArtifactStore } from './store.ts';
import type { WorkerManagerModel } from './worker-manager/handlers.ts';
import type { ServiceName, Trace } from './trace.ts';
import { cloneJson, jsonDepth } from './util.ts';

/** Everything the handlers share; one per running set of mock services. */
export interface MockState {
  model: QueueModel;
  objects: ObjectModel;
  purge: PurgeModel;
  workerManager: WorkerManagerModel;
  auth: Auth;
  store: ArtifactStore;
  trace: Trace;
  faults: Faults;
  longPollMs: number;
  /** Accept reportException reason `superseded`, as the Queue of generic-worker 11.0.1's time did. */
  legacySupersededReason: boolean;
  now: () => number;
  /** `http://127.0.0.1:<port>` for loopback; a made-up origin for the in-process transport. */
  rootUrl: () => string;
  /** In-process only: match requests to this origin alone, leaving other hosts to other handlers. */
  origin?: string;
  files?: FileSource;
  /** Close these services (trace written), as `close()` does. */
  shutdown: () => void;
}

export interface FileSource {
  /** A readable for a file below the root, or undefined when absent. */
  open(path: string): Promise<{ stream: ReadableStream<Uint8Array>; size: number; contentType: string } | undefined>;
}

export interface Call {
  request: Request;
  url: URL;
  params: Record<string, string>;
  query: Record<string, string>;
  body: any;
  caller: Caller;
  state: MockState;
  /** Throw 403 InsufficientScopes unless the caller satisfies `expr`. */
  authorize(expr: ScopeExpression): void;
  /** Attach a taskId/runId to the trace entry when the URL does not carry them. */
  note(ids: { taskId?: string; runId?: number }): void;
}

export interface Route {
  name: string;
  /** `mock`: the mock's own control API (internal routes, never traced). */
  service: ServiceName | 'mock';
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template: `<param>` is one segment, `<param*>` may contain slashes (wildcard routes). */
  path: string;
  /** Input schema id (see schemas.ts); `optional-json` parses JSON if sent; `raw` leaves the body alone. */
  input?: string | ((state: MockState) => string);
  /**
   * The declared scope expression when the URL parameters alone render it. lib-api's remoteAuthentication
   * then authorizes before parameter, query and schema validation and before the handler looks anything up
   * (libraries/api/src/middleware/auth.js, `useUrlParams`); handlers of other routes call `authorize`.
   */
  scopes?: (params: Record<string, string>) => ScopeExpression;
  /** Allowed query-string parameters (lib-api queryValidator): a pattern, or a check returning an error. */
  query?: Record<string, RegExp | ((value: string) => string | null)>;
  /** Mock control routes (admin API): neither traced nor subject to faults. */
  internal?: boolean;
  handle(call: Call): Promise<Response> | Response;
}

// negotiator (CommonJS, untyped) at the version compression@1.8.1 uses; `preferred` breaks ties in its order.
const Negotiator = createRequire(import.meta.url)('negotiator') as new (req: {
  headers: Record<string, string>;
}) => { encoding(available: string[], preferred: string[]): string | undefined };

/** Taskcluster services: their routes get lib-api's query validation and response compression. */
const API_SERVICES = new Set<Route['service']>(['queue', 'object', 'purge-cache', 'worker-manager', 'mock']);

/** lib-api's parseBody limit (`inputLimit: '10mb'`, body-parser's mebibytes). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/**
 * Deepest JSON nesting a body may have. The real Queue parses any depth (V8's JSON.parse does not recurse)
 * but its own JSON.stringify, in node-postgres and in every reply, overflows at about 4,100 levels and
 * answers 500; the mock refuses bodies past half of that with 400, so what it stores always serialises.
 */
export const MAX_JSON_DEPTH = 2048;

const PARAM_PATTERNS: Record<string, RegExp> = {
  taskId: /^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$/,
  runId: /^[1-9]*[0-9]+$/,
  taskQueueId: /^[a-zA-Z0-9-_]{1,38}\/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$/,
  workerPoolId: /^[a-zA-Z0-9-_]{1,38}\/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$/,
  name: /^[\x20-\x7e]+$/,
  provisionerId: /^[a-zA-Z0-9-_]{1,38}$/,
  workerType: /^[a-zA-Z0-9-_]{1,38}$/,
  workerGroup: /^[a-zA-Z0-9-_]{1,38}$/,
  workerId: /^[a-zA-Z0-9-_]{1,38}$/,
};

interface Compiled {
  re: RegExp;
  names: string[];
}

function compile(path: string): Compiled {
  const names: string[] = [];
  const src = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<(\w+)(\\\*)?>/g, (_m, name: string, star) => {
    names.push(name);
    return star ? '(.+)' : '([^/]+)';
  });
  return { re: new RegExp(`^${src}$`), names };
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });

const ERROR_CODES: Record<number, string> = {
  400: 'InputError',
  401: 'AuthenticationFailed',
  403: 'InsufficientScopes',
  404: 'ResourceNotFound',
  409: 'RequestConflict',
  410: 'ResourceExpired',
  413: 'InputTooLarge',
};

const RECORDED_HEADERS = ['content-type', 'content-length', 'content-encoding', 'x-taskcluster-trace-id'];

/** Build one msw handler per route, all sharing `state`. */
export function createHandlers(routes: Route[], state: MockState): RequestHandler[] {
  return routes.map((route) => {
    const c = compile(route.path);
    const predicate = ({ request }: { request: Request }) => {
      const url = new URL(request.url);
      if (state.origin && url.origin !== state.origin) return { matches: false, params: {} };
      const m = c.re.exec(url.pathname);
      if (!m) return { matches: false, params: {} };
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => {
        params[n] = m[i + 1];
      });
      return { matches: true, params };
    };
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    return http[method](predicate, ({ request, params }) =>
      run(route, state, request, params as Record<string, string>),
    );
  });
}

async function run(
  route: Route,
  state: MockState,
  request: Request,
  rawParams: Record<string, string>,
): Promise<Response> {
  const started = Date.now();
  const url = new URL(request.url);
  const time = new Date(state.now()).toISOString();
  const params: Record<string, string> = {};
  let paramError: string | undefined;
  for (const [k, v] of Object.entries(rawParams)) {
    try {
      params[k] = decodeURIComponent(v);
    } catch {
      params[k] = v;
      paramError ??= `Invalid URL parameter ${k}: bad percent-encoding`;
    }
    const pattern = PARAM_PATTERNS[k];
    if (pattern && !pattern.test(params[k]))
      paramError ??= `Invalid URL parameter ${k}: \`${params[k]}\` does not match ${pattern}`;
  }
  const query = Object.fromEntries(url.searchParams);
  const headers: Record<string, string> = {};
  for (const h of RECORDED_HEADERS) {
    const v = request.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  const ids: { taskId?: string; runId?: number } = {};
  if (params.taskId) ids.taskId = params.taskId;
  if (params.runId && /^\d+$/.test(params.runId)) ids.runId = Number(params.runId);
  const out: Out = { clientId: null };
  let fault: string | undefined;
  let response: Response;
  const info: RequestInfo = { method: route.name, params, payload: {}, time };
  try {
    const f = route.internal
      ? undefined
      : state.faults.take({ route: route.name, method: request.method, path: url.pathname, taskId: ids.taskId });
    let early: Response | undefined;
    if (f) {
      fault = f.reset
        ? 'reset'
        : f.garble
          ? `garble ${f.garble}`
          : f.status !== undefined
            ? `status ${f.status}`
            : `delay ${f.delayMs}ms`;
      if (f.delayMs) await sleep(f.delayMs, request.signal);
      if (f.reset) early = Response.error();
      else if (f.garble) early = garbled(f.garble);
      else if (f.status !== undefined) {
        const code = f.code ?? ERROR_CODES[f.status] ?? 'InternalServerError';
        const message = f.message ?? `Injected fault: ${f.status} ${code}`;
        early = json(errorBody({ code, status: f.status, message }, info), f.status);
      }
    }
    response = early ?? (await handle(route, state, { request, url, params, query, paramError, info, ids, out }));
  } catch (e) {
    const err =
      e instanceof ApiError
        ? e
        : new ApiError('InternalServerError', `Internal Server Error: ${(e as Error)?.message ?? e}`);
    response = json(errorBody(err, info), err.status);
  }
  if (route.internal) return compress(route, request, response);
  // The trace entry is written for faults and errors too; the response body is read from a clone.
  const responseBody = await readJsonBody(response);
  state.trace.record({
    time,
    durationMs: Date.now() - started,
    service: route.service as ServiceName,
    method: request.method,
    path: url.pathname,
    route: route.name,
    clientId: out.clientId,
    ...ids,
    status: response.status,
    request: {
      ...(Object.keys(query).length ? { query } : {}),
      headers,
      ...(out.body !== undefined ? { body: out.body } : {}),
    },
    response: responseBody === undefined ? {} : { body: responseBody },
    ...(fault ? { fault } : {}),
  });
  return compress(route, request, response);
}

/** A 200 whose body is not the route's answer (fault `garble`): what a broken proxy or a cut stream gives. */
function garbled(kind: Garble): Response {
  if (kind === 'html')
    return new Response('<html><body><h1>502 Bad Gateway</h1></body></html>\n', {
      status: 200,
      headers: { 'content-type': 'text/html' },
    });
  const body = kind === 'truncated' ? '{"tasks": [{"status": {"taskId": "' : '';
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' } });
}

/**
 * Compress a Taskcluster service's answer as lib-api's express `compression()` (1.8.1) does: compressible
 * types only, `Vary: Accept-Encoding`, 1 KiB threshold, `br` preferred over `gzip` on a tie (brotli quality
 * 4), `deflate` when asked, nothing without an Accept-Encoding header or for HEAD.
 */
async function compress(route: Route, request: Request, response: Response): Promise<Response> {
  if (!API_SERVICES.has(route.service) || response.type === 'error') return response;
  const type = response.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type) || !response.body) return response;
  const headers = new Headers(response.headers);
  headers.append('vary', 'Accept-Encoding');
  const body = Buffer.from(await response.arrayBuffer());
  const accept = request.headers.get('accept-encoding');
  const method =
    accept === null || request.method === 'HEAD' || body.length < 1024 || headers.has('content-encoding')
      ? undefined
      : new Negotiator({ headers: { 'accept-encoding': accept } }).encoding(
          ['br', 'gzip', 'deflate', 'identity'],
          ['br', 'gzip'],
        );
  let out: Buffer = body;
  if (method === 'br') {
    out = brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } });
  } else if (method === 'gzip') out = gzipSync(body);
  else if (method === 'deflate') out = deflateSync(body);
  if (out !== body) headers.set('content-encoding', method!);
  headers.set('content-length', String(out.length));
  return new Response(new Uint8Array(out), { status: response.status, statusText: response.statusText, headers });
}

interface Out {
  clientId: string | null;
  body?: unknown;
}

interface Parsed {
  request: Request;
  url: URL;
  params: Record<string, string>;
  query: Record<string, string>;
  paramError: string | undefined;
  info: RequestInfo;
  ids: { taskId?: string; runId?: number };
  out: Out;
}

/** `application/json` (any parameters), as type-is matches body-parser's `type: 'application/json'`. */
const isJson = (contentType: string | null): boolean => /^application\/json\s*(;|$)/i.test(contentType ?? '');

/**
 * One request through lib-api's middleware order (libraries/api/src/api.js `router()`): parseBody,
 * remoteAuthentication (authorizing now when the URL renders the scopes), parameterValidator, queryValidator,
 * validateSchemas, then the handler. Authentication is computed once; its failure surfaces at the first
 * authorization, as upstream authenticates lazily.
 */
async function handle(route: Route, state: MockState, p: Parsed): Promise<Response> {
  const { request, url, params, query, paramError, info, ids, out } = p;
  const input = typeof route.input === 'function' ? route.input(state) : route.input;
  let body: any;
  let text: string | undefined;
  const contentType = request.headers.get('content-type');
  if (input !== 'raw') {
    text = await request.text();
    // body-parser reads only `application/json` bodies; others stay unread (an input route refuses them below).
    if (text.length > 0 && isJson(contentType)) {
      if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
        throw new ApiError('InputTooLarge', `Payload is larger than ${MAX_BODY_BYTES} bytes (10mb)`);
      }
      const depth = jsonDepth(text, MAX_JSON_DEPTH);
      if (depth > MAX_JSON_DEPTH) {
        throw new ApiError('InputError', `Payload JSON is nested more than ${MAX_JSON_DEPTH} levels deep`);
      }
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw new ApiError('MalformedPayload', `Failed to parse JSON: ${(e as Error).message}`);
      }
      if (body === null || typeof body !== 'object') {
        body = undefined;
        throw new ApiError('MalformedPayload', 'Failed to parse JSON: Must be an object or array');
      }
    }
    out.body = body === undefined ? undefined : cloneJson(body);
    info.payload = body ?? {};
  }
  // The claimed Hawk id goes into the trace even when authentication then fails.
  out.clientId = /\bid="([^"]*)"/.exec(request.headers.get('authorization') ?? '')?.[1] ?? null;
  let caller: Caller | undefined;
  let authError: ApiError | undefined;
  try {
    caller = await state.auth.authenticate(request, text);
    out.clientId = caller.clientId;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    authError = e;
  }
  const authorize = (expr: ScopeExpression): void => {
    if (!caller) throw authError!;
    const lacking = missing(caller.scopes, expr);
    if (lacking === null) return;
    throw new ApiError(
      'InsufficientScopes',
      caller.clientId === null
        ? `This request requires Taskcluster credentials that satisfy the following scope expression:\n\n\`\`\`\n${formatExpression(expr)}\n\`\`\``
        : `Client ID ${caller.clientId} does not have sufficient scopes and is missing the following scopes:\n\n\`\`\`\n${formatMissing(lacking)}\n\`\`\`\n\nThis request requires the client to satisfy the following scope expression:\n\n\`\`\`\n${formatExpression(expr)}\n\`\`\``,
    );
  };
  if (route.scopes) authorize(route.scopes(params));
  if (paramError) throw new ApiError('InvalidRequestArguments', paramError);
  if (API_SERVICES.has(route.service)) checkQuery(route, query);
  if (input && input !== 'raw' && input !== 'optional-json') {
    if (!isJson(contentType)) {
      throw new ApiError(
        'MalformedPayload',
        `Payload must be JSON with content-type: application/json got content-type: ${contentType === null ? 'null' : contentType}`,
      );
    }
    body ??= {};
    validateInput(input, body, state.rootUrl());
  }
  const call: Call = {
    request,
    url,
    params,
    query,
    body,
    get caller(): Caller {
      if (!caller) throw authError!;
      return caller;
    },
    state,
    authorize,
    note(n) {
      Object.assign(ids, n);
    },
  };
  return await route.handle(call);
}

/** lib-api queryValidator: only declared parameters (and `bewit`), each matching its pattern. */
function checkQuery(route: Route, query: Record<string, string>): void {
  const errors: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const pattern = route.query?.[key];
    if (!pattern) {
      if (key !== 'bewit') errors.push(`Query-string parameter: ${key} is not supported!`);
    } else if (pattern instanceof RegExp) {
      if (!pattern.test(value)) {
        errors.push(`Query-string parameter: ${key}="${value}" does not match expression: ${pattern.toString()}`);
      }
    } else {
      const msg = pattern(value);
      if (typeof msg === 'string') errors.push(`Query-string parameter: ${key}="${value}" is not valid, error: ${msg}`);
    }
  }
  if (errors.length > 0) throw new ApiError('InvalidRequestArguments', errors.join('\n'));
}

async function readJsonBody(response: Response): Promise<unknown> {
  if (!/json/i.test(response.headers.get('content-type') ?? '')) return undefined;
  try {
    return await response.clone().json();
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
