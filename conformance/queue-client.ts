// The few Queue calls the runner makes as the harness (create tasks, read status and artifacts),
// Hawk-signed with the mock's admin client. undici.request keeps bodies raw, so artifact downloads
// see the Content-Encoding the worker uploaded with instead of a transparently decoded body.
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import hawk from 'hawk';
import { request } from 'undici';

export interface Credentials {
  clientId: string;
  accessToken: string;
}

export class HarnessQueue {
  readonly rootUrl: string;
  readonly credentials: Credentials;
  constructor(rootUrl: string, credentials: Credentials) {
    this.rootUrl = rootUrl.replace(/\/$/, '');
    this.credentials = credentials;
  }

  private url(path: string): string {
    return `${this.rootUrl}/api/queue/v1${path}`;
  }

  private auth(url: string, method: string, payload?: string): string {
    return hawk.client.header(url, method, {
      credentials: { id: this.credentials.clientId, key: this.credentials.accessToken, algorithm: 'sha256' },
      payload,
      contentType: payload !== undefined ? 'application/json' : undefined,
    }).header;
  }

  /** A JSON API call; throws with method, path, status and the Queue's message on a non-2xx answer. */
  async call(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<any> {
    const url = this.url(path);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { authorization: this.auth(url, method, payload) };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const res = await request(url, { method, headers, body: payload, headersTimeout: 30_000, bodyTimeout: 30_000 });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) {
      let message = text.slice(0, 300);
      try {
        message = JSON.parse(text).message ?? message;
      } catch {}
      throw new Error(`${method} ${path}: HTTP ${res.statusCode}: ${message.split('\n')[0]}`);
    }
    return text ? JSON.parse(text) : {};
  }

  createTask(taskId: string, definition: unknown): Promise<any> {
    return this.call('PUT', `/task/${taskId}`, definition);
  }
  task(taskId: string): Promise<any> {
    return this.call('GET', `/task/${taskId}`);
  }
  status(taskId: string): Promise<any> {
    return this.call('GET', `/task/${taskId}/status`);
  }
  cancelTask(taskId: string): Promise<any> {
    return this.call('POST', `/task/${taskId}/cancel`);
  }

  /** Every artifact of a run, following continuation tokens (bounded). */
  async listArtifacts(taskId: string, runId: number): Promise<any[]> {
    const out: any[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const q = token ? `?continuationToken=${encodeURIComponent(token)}` : '';
      const res = await this.call('GET', `/task/${taskId}/runs/${runId}/artifacts${q}`);
      out.push(...(res.artifacts ?? []));
      token = res.continuationToken;
      if (!token) break;
    }
    return out;
  }

  /** The getArtifact URL of a run's artifact. */
  artifactUrl(taskId: string, runId: number, name: string): string {
    // %27 too: hawk signs the URL as Url.parse escapes it (' → %27); sent raw, the MAC would not match.
    const segment = (s: string) => encodeURIComponent(s).replace(/'/g, '%27');
    const path = `/task/${taskId}/runs/${runId}/artifacts/${name.split('/').map(segment).join('/')}`;
    return this.url(path);
  }

  /**
   * Downloads an artifact through getArtifact, following redirects by hand. The body is streamed
   * through gunzip when gzip-encoded and hashed on the way; at most `keep` bytes are kept.
   */
  async download(
    taskId: string,
    runId: number,
    name: string,
    keep: number,
  ): Promise<{
    status: number;
    contentType?: string;
    contentEncoding?: string;
    sha256?: string;
    size?: number;
    body?: Buffer;
    json?: any;
    location?: string;
  }> {
    let url = this.artifactUrl(taskId, runId, name);
    let signed = true;
    for (let hop = 0; hop < 5; hop++) {
      const headers: Record<string, string> = signed ? { authorization: this.auth(url, 'GET') } : {};
      const res = await request(url, { method: 'GET', headers, headersTimeout: 30_000, bodyTimeout: 60_000 });
      const location = res.headers.location;
      if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
        await res.body.dump();
        const next = new URL(location, url).toString();
        // Reference artifacts point outside the kit (e.g. a worker's live log): record, never fetch.
        if (!next.startsWith(this.rootUrl)) return { status: res.statusCode, location: next };
        signed = next.startsWith(`${this.rootUrl}/api/`);
        url = next;
        continue;
      }
      const contentType = headerValue(res.headers['content-type']);
      const contentEncoding = headerValue(res.headers['content-encoding']);
      if (res.statusCode >= 400) {
        const text = await res.body.text();
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {}
        return { status: res.statusCode, contentType, json, body: Buffer.from(text) };
      }
      const source = contentEncoding === 'gzip' ? res.body.pipe(createGunzip()) : res.body;
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of source as AsyncIterable<Buffer>) {
        hash.update(chunk);
        if (size < keep) chunks.push(chunk.subarray(0, keep - size));
        size += chunk.length;
      }
      return {
        status: res.statusCode,
        contentType,
        contentEncoding,
        sha256: hash.digest('hex'),
        size,
        body: size <= keep ? Buffer.concat(chunks) : undefined,
      };
    }
    throw new Error(`artifact ${name} of ${taskId}/${runId}: too many redirects`);
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
