// Queue calls whose URL holds an apostrophe. taskcluster-client (87.1.3, and clients/client at v106) signs a request
// for the URL as hawk's client parses it (Url.parse, which escapes ' as %27) but sends it through got unescaped, so
// the Queue computes the MAC over another string and answers 401 "Bad mac". The URL parameters a task controls are
// artifact names, which may hold any printable ASCII (services/queue/src/api.js params.name), so such calls are
// signed and sent here as one URL, with %27 in it (the Queue decodes it back). Retried as the client retries:
// network errors and 5xx, 5 retries, exponential backoff.
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { hawkHeader, type QueueClient, QueueCallError, type TaskCredentials } from './queue.ts';

/** Whether a call with these URL parameters must go through `escapedCall` rather than the client. */
export function needsEscapedCall(...params: string[]): boolean {
  return params.some((p) => p.includes("'"));
}

export async function escapedCall(
  queue: QueueClient,
  credentials: TaskCredentials,
  method: string,
  params: string[],
  /** The request body; none: a GET. */
  body?: unknown,
): Promise<any> {
  const verb = body === undefined ? 'GET' : 'POST';
  const url = (queue.buildUrl(queue[method], ...params) as string).replace(/'/g, '%27');
  const retries = 5;
  for (let attempt = 0; ; attempt++) {
    let status: number | undefined;
    let text = '';
    try {
      const res = await request(url, {
        method: verb,
        headers: {
          authorization: hawkHeader(url, verb, credentials),
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (e) {
      if (attempt >= retries) throw e;
    }
    if (status !== undefined && status < 300) return text ? JSON.parse(text) : {};
    if (status !== undefined && (status < 500 || attempt >= retries)) {
      let message = text;
      try {
        const j = JSON.parse(text);
        message = `${j.code ?? status}: ${j.message ?? text}`;
      } catch {}
      throw new QueueCallError(`${method} answered HTTP ${status}: ${message.slice(0, 2000)}`, status);
    }
    await sleep(Math.min(100 * 2 ** attempt, 30_000) * (0.75 + Math.random() / 2));
  }
}
