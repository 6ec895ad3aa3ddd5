// The S3-like artifact store: receives the PUTs of signed putUrls and serves signed GETs.
// Bodies are streamed to and from files in a temporary directory, never held whole in memory.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredObject {
  key: string;
  file: string;
  size: number;
  sha256: string;
  contentType?: string;
  contentEncoding?: string;
}

export class ArtifactStore {
  private readonly dir = mkdtempSync(join(tmpdir(), 'tc-mock-store-'));
  private readonly secret = randomBytes(32);
  private readonly objects = new Map<string, StoredObject>();
  private counter = 0;

  /** The path part of a URL for `key` on the store (`/store/<segments>`). */
  static path(key: string): string {
    return `/store/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  sign(method: string, key: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${method}\n${key}\n${expires}`).digest('base64url');
  }

  /** A signed URL under `rootUrl`; valid until `expires` (epoch ms). */
  url(rootUrl: string, key: string, method: 'PUT' | 'GET', expires: number): string {
    return `${rootUrl}${ArtifactStore.path(key)}?expires=${expires}&signature=${this.sign(method, key, expires)}`;
  }

  /** null when the signature is valid and unexpired, else why not. */
  check(method: string, key: string, query: URLSearchParams, now: number): string | null {
    const expires = Number(query.get('expires'));
    const given = Buffer.from(query.get('signature') ?? '', 'base64url');
    const want = Buffer.from(this.sign(method, key, expires), 'base64url');
    if (given.length !== want.length || !timingSafeEqual(given, want)) return 'SignatureDoesNotMatch';
    if (!(expires >= now)) return 'Request has expired';
    return null;
  }

  async put(
    key: string,
    body: AsyncIterable<Uint8Array> | null,
    meta: { contentType?: string; contentEncoding?: string },
  ): Promise<StoredObject> {
    const file = join(this.dir, `${++this.counter}`);
    const hash = createHash('sha256');
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    await pipeline(body ?? (async function* () {})(), counter, createWriteStream(file));
    const obj: StoredObject = { key, file, size, sha256: hash.digest('hex'), ...meta };
    this.objects.set(key, obj);
    return obj;
  }

  /** Store bytes already in memory (inline object uploads are small by definition). */
  async putBytes(key: string, bytes: Uint8Array, meta: { contentType?: string }): Promise<StoredObject> {
    return this.put(key, Readable.from([Buffer.from(bytes)]), meta);
  }

  get(key: string): StoredObject | undefined {
    return this.objects.get(key);
  }

  stream(obj: StoredObject): NodeJS.ReadableStream {
    return createReadStream(obj.file);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
