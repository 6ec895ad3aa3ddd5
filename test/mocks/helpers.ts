// Test helpers: Hawk-signed fetch against a mock, and task bodies.
import hawk from 'hawk';

export interface Creds {
  clientId: string;
  accessToken: string;
  certificate?: string;
}

export interface CallResult {
  status: number;
  body: any;
  headers: Headers;
}

/** One Hawk-signed JSON request, as taskcluster-client would send it (certificate in ext). */
export async function call(
  rootUrl: string,
  method: string,
  path: string,
  opts: { creds?: Creds; body?: unknown; ext?: Record<string, unknown>; timestamp?: number; payloadHash?: string } = {},
): Promise<CallResult> {
  const url = `${rootUrl}${path}`;
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.creds) {
    const extObj = {
      ...(opts.creds.certificate ? { certificate: JSON.parse(opts.creds.certificate) } : {}),
      ...opts.ext,
    };
    const ext = Object.keys(extObj).length ? Buffer.from(JSON.stringify(extObj)).toString('base64') : undefined;
    headers.authorization = hawk.client.header(url, method, {
      credentials: { id: opts.creds.clientId, key: opts.creds.accessToken, algorithm: 'sha256' },
      ...(ext ? { ext } : {}),
      ...(opts.timestamp ? { timestamp: opts.timestamp } : {}),
      // Sign a payload hash over this text (the real body unless a test wants a mismatch).
      ...(opts.payloadHash !== undefined ? { payload: opts.payloadHash, contentType: 'application/json' } : {}),
    }).header;
  }
  const res = await fetch(url, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    redirect: 'manual',
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (store errors are XML)
  }
  return { status: res.status, body, headers: res.headers };
}

export function taskBody(
  queue: string,
  now = Date.now(),
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    taskQueueId: queue,
    created: new Date(now).toISOString(),
    deadline: new Date(now + 3600_000).toISOString(),
    payload: {},
    metadata: { name: 'n', description: 'd', owner: 'o@example.com', source: 'https://example.com' },
    ...overrides,
  };
}
