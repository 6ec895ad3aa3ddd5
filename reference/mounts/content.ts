// Mount content sources (generic-worker mounts_feature.go FSContentFrom): the type is chosen by key
// presence in the order taskId → url → raw → base64, and each has a download-cache key and a
// human-readable description used in the `[mounts]` log lines.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export type Content =
  | { kind: 'artifact'; taskId: string; artifact: string; sha256?: string }
  | { kind: 'url'; url: string; sha256?: string }
  | { kind: 'raw'; raw: string; sha256?: string }
  | { kind: 'base64'; base64: string; sha256?: string };

/** A payload problem: the task resolves exception/malformed-payload. */
export class PayloadError extends Error {}

/** A problem while mounting (download, checksum, archive, filesystem): the task resolves failed. */
export class MountFailure extends Error {}

const SHA256 = /^[a-f0-9]{64}$/;

export function parseContent(raw: unknown, where: string): Content {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PayloadError(`${where}: content must be an object with one of taskId, url, raw or base64`);
  }
  const c = raw as Record<string, unknown>;
  const sha256 = c.sha256;
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !SHA256.test(sha256))) {
    throw new PayloadError(`${where}.sha256: must be 64 lower-case hex digits, got ${JSON.stringify(sha256)}`);
  }
  const str = (key: string): string => {
    const v = c[key];
    if (typeof v !== 'string' || v === '') throw new PayloadError(`${where}.${key}: must be a non-empty string`);
    return v;
  };
  const withSha = <T extends object>(o: T): T & { sha256?: string } =>
    sha256 === undefined ? o : { ...o, sha256: sha256 as string };
  if ('taskId' in c) return withSha({ kind: 'artifact' as const, taskId: str('taskId'), artifact: str('artifact') });
  if ('namespace' in c) throw new PayloadError(`${where}: indexed content (namespace) is not supported by this worker`);
  if ('url' in c) {
    const url = str('url');
    try {
      new URL(url);
    } catch {
      throw new PayloadError(`${where}.url: not a valid URL: ${JSON.stringify(url)}`);
    }
    return withSha({ kind: 'url' as const, url });
  }
  if ('raw' in c) {
    if (typeof c.raw !== 'string') throw new PayloadError(`${where}.raw: must be a string`);
    return withSha({ kind: 'raw' as const, raw: c.raw });
  }
  if ('base64' in c) {
    const b = str('base64');
    if (!/^[A-Za-z0-9/+]+={0,2}$/.test(b)) throw new PayloadError(`${where}.base64: not valid base64 text`);
    return withSha({ kind: 'base64' as const, base64: b });
  }
  throw new PayloadError(`${where}: content must have one of taskId, url, raw or base64`);
}

/** Download-cache key, as generic-worker names them. */
export function cacheKey(c: Content): string {
  switch (c.kind) {
    case 'artifact':
      return `artifact:${c.taskId}:${c.artifact}`;
    case 'url':
      return `urlcontent:${c.url}`;
    case 'raw':
      return `Raw content: ${c.raw}`;
    case 'base64':
      return `Base64 content: ${c.base64}`;
  }
}

/** What the log calls the source. */
export function describe(c: Content): string {
  switch (c.kind) {
    case 'artifact':
      return `task ${c.taskId} artifact ${c.artifact}`;
    case 'url':
      return `url ${c.url}`;
    case 'raw':
      return 'raw content';
    case 'base64':
      return 'base64 content';
  }
}

/** Opens the bytes of a content source (network sources resolved by `fetchUrl`). */
export interface ContentOpener {
  /** URL (possibly signed) from which an artifact's latest run is downloaded. */
  artifactUrl(taskId: string, artifact: string): string;
}

export async function openContent(c: Content, opener: ContentOpener): Promise<Readable> {
  switch (c.kind) {
    case 'raw':
      return Readable.from([Buffer.from(c.raw, 'utf8')]);
    case 'base64':
      return Readable.from([Buffer.from(c.base64, 'base64')]);
    case 'url':
      return fetchStream(c.url);
    case 'artifact':
      return fetchStream(opener.artifactUrl(c.taskId, c.artifact));
  }
}

const ATTEMPTS = 4;

async function fetchStream(url: string): Promise<Readable> {
  // Connection failures and 5xx are retried with backoff (generic-worker uses httpbackoff); any other
  // status is final. fetch follows the Queue's 303 to the storage URL and undoes Content-Encoding:
  // gzip, so the bytes hashed are the artifact's content, as generic-worker hashes them.
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(10 * 60_000) });
    } catch (err) {
      if (attempt >= ATTEMPTS) {
        throw new MountFailure(`${(err as Error).message} from ${redact(url)} (${attempt} attempts)`);
      }
      await sleep(200 * 2 ** attempt);
      continue;
    }
    if (res.status >= 500 && attempt < ATTEMPTS) {
      await res.body?.cancel();
      await sleep(200 * 2 ** attempt);
      continue;
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      throw new MountFailure(`HTTP ${res.status} ${res.statusText} from ${redact(url)}`);
    }
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }
}

/** Signed URLs carry a bewit: keep it out of logs. */
export function redact(url: string): string {
  return url.replace(/([?&]bewit=)[^&]+/, '$1<redacted>');
}
