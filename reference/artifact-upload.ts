// Creating artifacts on the Queue: `s3` uploads (createArtifact then PUT to putUrl, as generic-worker does),
// plus `error`, `reference` and `link` artifacts. Files are streamed: when gzip applies the file is
// compressed to a temporary file first (S3 needs Content-Length), then that file is streamed on each attempt.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import mime from 'mime-types';
import taskcluster from 'taskcluster-client';
import { request } from 'undici';
import type { RunCredentials } from './queue.ts';

/** Current generic-worker's already-compressed extensions (a superset of 11.0.1's): uploaded as identity. */
const ALREADY_COMPRESSED = new Set(
  '.7z .br .aab .apk .bz2 .deb .dmg .flv .gif .gz .jar .jpeg .jpg .lz .lz4 .mz .npz .pkg .png .swf .sz .tbz .tgz .wasm .webp .whl .woff .woff2 .xpi .xz .zip .zst .zz'.split(
    ' ',
  ),
);

export type ContentEncoding = 'gzip' | 'identity';

export function shouldGzip(path: string): boolean {
  return !ALREADY_COMPRESSED.has(extname(path).toLowerCase());
}

export function chooseEncoding(path: string, requested?: ContentEncoding): ContentEncoding {
  return requested ?? (shouldGzip(path) ? 'gzip' : 'identity');
}

/** generic-worker's own map, consulted before the MIME database. */
const CUSTOM_TYPES: Record<string, string> = { '.log': 'text/plain', '.jsonl': 'application/jsonl' };

/**
 * Like Go's mime.TypeByExtension as generic-worker uses it: the custom map, then the MIME database, where
 * text/* types get `; charset=utf-8`; application/octet-stream when the extension is unknown.
 */
export function guessContentType(path: string): string {
  const ext = extname(path).toLowerCase();
  if (CUSTOM_TYPES[ext]) return CUSTOM_TYPES[ext];
  const type = mime.lookup(path);
  if (!type) return 'application/octet-stream';
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type;
}

export interface S3Upload {
  name: string;
  path: string;
  contentType: string;
  expires: string;
  /** Content-Encoding of the upload; `gzip: true|false` is the older spelling of gzip|identity. */
  encoding?: ContentEncoding;
  gzip?: boolean;
}

export class ArtifactUploader {
  private readonly run: RunCredentials;
  private readonly taskId: string;
  private readonly runId: number;
  /** Number of PUT attempts per artifact. */
  attempts = 5;
  /** Set when the run was cancelled: nothing more is sent for it. */
  disabled = false;
  /** Data goes through the object service instead of S3 (config createObjectArtifacts). */
  useObject = false;

  constructor(run: RunCredentials, taskId: string, runId: number) {
    this.run = run;
    this.taskId = taskId;
    this.runId = runId;
  }

  private create(name: string, body: Record<string, unknown>): Promise<any> {
    if (this.disabled) return Promise.resolve({});
    return this.run.queue.createArtifact(this.taskId, this.runId, name, body);
  }

  async error(name: string, reason: string, message: string, expires: string): Promise<void> {
    await this.create(name, { storageType: 'error', reason, message: message.slice(0, 4096), expires });
  }

  async reference(name: string, url: string, contentType: string, expires: string): Promise<void> {
    await this.create(name, { storageType: 'reference', url, contentType, expires });
  }

  async link(name: string, artifact: string, contentType: string, expires: string): Promise<void> {
    await this.create(name, { storageType: 'link', artifact, contentType, expires });
  }

  /**
   * Upload a file as an `object` artifact: createArtifact, then the object service's upload (with the
   * credentials and uploadId the Queue returned, unchanged), then finishArtifact. Content-Encoding does
   * not apply to object artifacts.
   */
  async object(u: S3Upload): Promise<void> {
    if (this.disabled) return;
    const { size } = await stat(u.path);
    const res = await this.create(u.name, {
      storageType: 'object',
      contentType: u.contentType,
      expires: u.expires,
      contentLength: size,
    });
    const object = new taskcluster.Object({ rootUrl: this.run.rootUrl, credentials: res.credentials });
    await taskcluster.upload({
      projectId: res.projectId,
      name: res.name,
      contentType: u.contentType,
      contentLength: size,
      expires: res.expires,
      object,
      uploadId: res.uploadId,
      streamFactory: async () => createReadStream(u.path),
    });
    await this.run.queue.finishArtifact(this.taskId, String(this.runId), u.name, { uploadId: res.uploadId });
  }

  /** A file's data: an `s3` artifact, or an `object` one when useObject is set. */
  async s3(u: S3Upload): Promise<void> {
    if (this.disabled) return;
    if (this.useObject) return this.object(u);
    let file = u.path;
    let tmp: string | undefined;
    try {
      const encoding: ContentEncoding = u.encoding ?? (u.gzip ? 'gzip' : 'identity');
      const gzip = encoding === 'gzip';
      if (gzip) {
        tmp = await mkdtemp(join(tmpdir(), 'tc-worker-gz-'));
        file = join(tmp, 'body.gz');
        await pipeline(createReadStream(u.path), createGzip(), createWriteStream(file));
      }
      const { size } = await stat(file);
      for (let attempt = 1; ; attempt++) {
        // A fresh putUrl each attempt: they expire, and createArtifact with identical values is idempotent.
        const res = await this.create(u.name, {
          storageType: 's3',
          contentType: u.contentType,
          expires: u.expires,
          contentLength: size,
        });
        try {
          const headers: Record<string, string> = {
            'content-type': u.contentType,
            'content-length': String(size),
            'content-encoding': encoding, // identity is sent too, as current generic-worker does
          };
          const put = await request(res.putUrl, { method: 'PUT', headers, body: createReadStream(file) });
          await put.body.dump();
          // 400 is retried too: S3 answers it for transient upload problems (generic-worker bug 1394557).
          if (put.statusCode >= 200 && put.statusCode < 300) return;
          throw new Error(`PUT ${u.name} answered HTTP ${put.statusCode}`);
        } catch (err) {
          if (attempt >= this.attempts) throw err;
          await sleep(Math.min(100 * 2 ** attempt, 5000));
        }
      }
    } finally {
      if (tmp) await rm(tmp, { recursive: true, force: true });
    }
  }
}
