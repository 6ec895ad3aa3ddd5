// Creating artifacts on the Queue: `s3` uploads (createArtifact then PUT to putUrl, as generic-worker does),
// plus `error`, `reference` and `link` artifacts. Data comes from an UploadSource: a descriptor the worker
// opened and checked itself, or bytes in memory, never a path opened again later. It is streamed: when gzip
// applies it is compressed to a temporary file in the worker's own scratch directory first (S3 needs
// Content-Length), then that file is streamed on each attempt. If the scratch file cannot be written (disk
// full) the data is sent uncompressed instead, straight from the source.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GzippedLog } from './task-log.ts';
import { httpRequest, type RunCredentials } from './queue.ts';

// Loaded when first needed (decisions/0004-start-up-cost.md): the MIME database is a 200 kB JSON parse, and
// taskcluster-client (object artifacts only) a quarter second and ~45 MiB.
const require = createRequire(import.meta.url);
let mimeTypes: typeof import('mime-types') | undefined;

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
  mimeTypes ??= require('mime-types') as typeof import('mime-types');
  const type = mimeTypes.lookup(path);
  if (!type) return 'application/octet-stream';
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type;
}

/** Bytes to upload, readable from the start as often as an upload needs (one stream per attempt). */
export interface UploadSource {
  size: number;
  open(): Readable;
}

export function bufferSource(data: Buffer | string): UploadSource {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  return { size: buf.length, open: () => Readable.from([buf]) };
}

/** Positional reads from a descriptor the caller keeps open (and closes after the upload). */
export function descriptorSource(fd: number, size: number): UploadSource {
  return {
    size,
    open: () =>
      size > 0 ? createReadStream('', { fd, start: 0, end: size - 1, autoClose: false }) : Readable.from([]),
  };
}

export interface S3Upload {
  name: string;
  /** The data; or `path`, a file of the worker's own that the uploader opens once itself. */
  source?: UploadSource;
  path?: string;
  contentType: string;
  expires: string;
  /** Content-Encoding of the upload; `gzip: true|false` is the older spelling of gzip|identity. */
  encoding?: ContentEncoding;
  gzip?: boolean;
  /** A gzip of exactly `source`'s bytes made beforehand (the task log's, TaskLog.gzipAlong); used when the sizes agree. */
  gzipped?: GzippedLog;
}

/** What was uploaded: the SHA-256 and length of the data before any Content-Encoding. */
export interface Uploaded {
  sha256: string;
  size: number;
  encoding: ContentEncoding;
}

/** Errors that mean "the scratch directory has no room": the upload then goes out uncompressed. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EFBIG']);

function hashing(hash: Hash): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

/** Gzip `source` into a new private file: the gzip's length, and the sha256 of the bytes before compression. */
export async function gzipToFile(source: Readable, file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  // zlib loads with the first gzip, not with the worker: about 1 MiB an idle worker never needs.
  const { createGzip } = process.getBuiltinModule('node:zlib');
  await pipeline(source, hashing(hash), createGzip(), createWriteStream(file, { mode: 0o600, flags: 'wx' }));
  return { size: (await stat(file)).size, sha256: hash.digest('hex') };
}

async function sha256Of(source: UploadSource): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(source.open(), hash);
  return hash.digest('hex');
}

export interface UploaderOptions {
  /** Where gzip scratch files go (the worker's own directory, not one tasks write to); default os.tmpdir(). */
  scratchDir?: string;
  /** Told when an upload had to fall back (e.g. sent uncompressed because the disk is full). */
  warn?: (message: string) => void;
}

export class ArtifactUploader {
  private readonly run: RunCredentials;
  private readonly taskId: string;
  private readonly runId: number;
  /** Where gzip scratch files go: the worker's own directory (TaskLog.gzipAlong writes there too). */
  readonly scratchDir: string;
  private readonly warn: (message: string) => void;
  /** Number of PUT attempts per artifact. */
  attempts = 5;
  /** Set when the run was cancelled: nothing more is sent for it. */
  disabled = false;
  /** Data goes through the object service instead of S3 (config createObjectArtifacts). */
  useObject = false;

  constructor(run: RunCredentials, taskId: string, runId: number, options: UploaderOptions = {}) {
    this.run = run;
    this.taskId = taskId;
    this.runId = runId;
    this.scratchDir = options.scratchDir ?? tmpdir();
    this.warn = options.warn ?? (() => {});
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

  /** The upload's source: the one given, or the file at `path` opened once now. */
  private async withSource<T>(u: S3Upload, f: (source: UploadSource) => Promise<T>): Promise<T> {
    if (u.source) return f(u.source);
    if (!u.path) throw new Error(`artifact ${u.name}: neither a source nor a path to upload`);
    const fh: FileHandle = await open(u.path, 'r');
    try {
      const { size } = await fh.stat();
      return await f(descriptorSource(fh.fd, size));
    } finally {
      await fh.close();
    }
  }

  /**
   * Upload as an `object` artifact: createArtifact, then the object service's upload (with the
   * credentials and uploadId the Queue returned, unchanged), then finishArtifact. Content-Encoding does
   * not apply to object artifacts.
   */
  async object(u: S3Upload): Promise<Uploaded | undefined> {
    if (this.disabled) return undefined;
    return this.withSource(u, async (source) => {
      const sha256 = await sha256Of(source);
      const res = await this.create(u.name, {
        storageType: 'object',
        contentType: u.contentType,
        expires: u.expires,
        contentLength: source.size,
      });
      const { default: taskcluster } = await import('taskcluster-client');
      const object = new taskcluster.Object({ rootUrl: this.run.rootUrl, credentials: res.credentials });
      await taskcluster.upload({
        projectId: res.projectId,
        name: res.name,
        contentType: u.contentType,
        contentLength: source.size,
        expires: res.expires,
        object,
        uploadId: res.uploadId,
        streamFactory: async () => source.open(),
      });
      await this.run.queue.finishArtifact(this.taskId, String(this.runId), u.name, { uploadId: res.uploadId });
      return { sha256, size: source.size, encoding: 'identity' as const };
    });
  }

  /** Data as an `s3` artifact, or an `object` one when useObject is set. */
  async s3(u: S3Upload): Promise<Uploaded | undefined> {
    if (this.disabled) return undefined;
    if (this.useObject) return this.object(u);
    return this.withSource(u, async (source) => {
      let encoding: ContentEncoding = u.encoding ?? (u.gzip ? 'gzip' : 'identity');
      let body: UploadSource = source;
      let sha256: string | undefined;
      let tmp: string | undefined;
      try {
        if (encoding === 'gzip' && u.gzipped && u.gzipped.rawSize === source.size) {
          const gz = u.gzipped;
          sha256 = gz.sha256;
          body = { size: gz.size, open: () => createReadStream(gz.file) };
        } else if (encoding === 'gzip') {
          try {
            tmp = await mkdtemp(join(this.scratchDir, 'gz-'));
            const file = join(tmp, 'body.gz');
            const gz = await gzipToFile(source.open(), file);
            sha256 = gz.sha256;
            body = { size: gz.size, open: () => createReadStream(file) };
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (!code || !NO_ROOM.has(code)) throw err;
            this.warn(
              `Uploading artifact ${u.name} uncompressed: no room to compress it in ${this.scratchDir} (${code})`,
            );
            encoding = 'identity';
            body = source;
            sha256 = undefined;
          }
        }
        for (let attempt = 1; ; attempt++) {
          // A fresh putUrl each attempt: they expire, and createArtifact with identical values is idempotent.
          const res = await this.create(u.name, {
            storageType: 's3',
            contentType: u.contentType,
            expires: u.expires,
            contentLength: body.size,
          });
          try {
            const headers: Record<string, string> = {
              'content-type': u.contentType,
              'content-length': String(body.size),
              'content-encoding': encoding, // identity is sent too, as current generic-worker does
            };
            // Uncompressed, the bytes sent are the data: hash them on the way (each attempt afresh).
            const hash = sha256 === undefined ? createHash('sha256') : undefined;
            const stream = hash ? body.open().pipe(hashing(hash)) : body.open();
            const put = await httpRequest(res.putUrl, {
              method: 'PUT',
              headers,
              body: stream,
              readBody: false,
              idleTimeoutMs: 300_000,
            });
            // 400 is retried too: S3 answers it for transient upload problems (generic-worker bug 1394557).
            if (put.statusCode >= 200 && put.statusCode < 300) {
              return { sha256: sha256 ?? hash!.digest('hex'), size: source.size, encoding };
            }
            throw new Error(`PUT ${u.name} answered HTTP ${put.statusCode}`);
          } catch (err) {
            if (attempt >= this.attempts) throw err;
            await sleep(Math.min(100 * 2 ** attempt, 5000));
          }
        }
      } finally {
        if (tmp) await rm(tmp, { recursive: true, force: true });
      }
    });
  }
}
