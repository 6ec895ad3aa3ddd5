// The task log in generic-worker's format (generic-worker-behaviour.md §3.2), written straight to disk
// (`<taskDir>/generic-worker/live_backing.log`) so nothing is held in memory; live-log readers subscribe
// to the bytes written after they joined.
// The file is opened once, before any task process exists, and from then on only used through that
// descriptor: the upload and the live log read it back with positional reads, so a task that swaps the
// directory or plants a link under the same name changes nothing the worker reads. When the disk refuses
// a write (ENOSPC, EDQUOT, EIO) the log keeps the rest (up to TAIL_LIMIT) in memory, so the reason still
// reaches the uploaded log, and `failure` tells the run.
import { EventEmitter } from 'node:events';
import { closeSync, constants, createReadStream, openSync, read, rmSync, writeSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { gzipToFile } from './artifact-upload.ts';

/** What is kept in memory once the disk refused the log; the rest is lost. */
const TAIL_LIMIT = 1024 * 1024;
/** Read size for the upload and the live log's catch-up. */
const READ_CHUNK = 1024 * 1024;

/** A fixed range of the log (disk bytes, then the in-memory tail) to read as often as needed. */
export interface LogSnapshot {
  size: number;
  open(): Readable;
}

/** A gzip of the log's first `rawSize` bytes, made while the task ran; `sha256` is of the raw bytes. */
export interface GzippedLog {
  file: string;
  /** Bytes of the gzip file. */
  size: number;
  rawSize: number;
  sha256: string;
}

export class TaskLog extends EventEmitter {
  readonly path: string;
  private fd: number | undefined;
  private writable = true;
  /** Bytes on disk. */
  private onDisk = 0;
  private readonly tail: Buffer[] = [];
  private tailBytes = 0;
  /** The first write the disk refused; later output goes to the in-memory tail. */
  failure: NodeJS.ErrnoException | undefined;
  /** The gzip follower (gzipAlong): its result, its file, and whether a read of it is in flight. */
  private gzip: Promise<GzippedLog | undefined> | undefined;
  private gzipFile: string | undefined;
  private followerReading = false;
  private disposed = false;

  constructor(path: string) {
    super();
    this.path = path;
    // O_EXCL: the worker has just created the directory; anything already there is not ours to write to.
    this.fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  }

  /** Bytes written so far (on disk plus the in-memory tail). */
  get size(): number {
    return this.onDisk + this.tailBytes;
  }

  get closed(): boolean {
    return !this.writable;
  }

  /** Raw bytes (command output). Synchronous so a reader that saw `size` can read exactly that much. */
  write(chunk: Buffer | string): void {
    if (!this.writable) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let done = 0;
    if (!this.failure && this.fd !== undefined) {
      try {
        while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, this.onDisk + done);
      } catch (error) {
        this.failure = error as NodeJS.ErrnoException;
        this.onDisk += done;
        this.keep(buf.subarray(done));
        this.emit('data', buf);
        this.emit('failure', this.failure);
        return;
      }
      this.onDisk += done;
    } else {
      this.keep(buf);
    }
    this.emit('data', buf);
  }

  /** Copies what fits below TAIL_LIMIT (the caller may reuse `buf`); the rest is lost. */
  private keep(buf: Buffer): void {
    const room = TAIL_LIMIT - this.tailBytes;
    if (room <= 0) return;
    const kept = Buffer.from(buf.subarray(0, room));
    this.tail.push(kept);
    this.tailBytes += kept.length;
  }

  private lines(prefix: string, message: string): void {
    this.write(
      message
        .split('\n')
        .map((l) => `${prefix} ${l}\n`)
        .join(''),
    );
  }

  info(message: string): void {
    this.lines(`[taskcluster ${new Date().toISOString()}]`, message);
  }

  warn(message: string): void {
    this.lines(`[taskcluster:warn ${new Date().toISOString()}]`, message);
  }

  /** Errors carry no timestamp, as in generic-worker. */
  error(message: string): void {
    this.lines('[taskcluster:error]', message);
  }

  /** The first `upTo` bytes (default: everything so far), read through the worker's own descriptor. */
  snapshot(upTo = this.size): LogSnapshot {
    const size = Math.min(upTo, this.size);
    const diskPart = Math.min(size, this.onDisk);
    const tailPart = Buffer.concat(this.tail).subarray(0, size - diskPart);
    const fd = this.fd;
    return {
      size,
      open: () => {
        const out = new PassThrough();
        const head =
          diskPart > 0 && fd !== undefined
            ? // 1 MiB reads: with the default 64 KiB, hashing and gzipping a 1 GiB log took 3.3 s, with 1 MiB 2.4 s.
              createReadStream('', { fd, start: 0, end: diskPart - 1, autoClose: false, highWaterMark: READ_CHUNK })
            : Readable.from([]);
        head.once('error', (e: Error) => out.destroy(e));
        head.once('end', () => out.end(tailPart));
        head.pipe(out, { end: false });
        return out;
      },
    };
  }

  /**
   * Gzip the log into `file` (a new file in the worker's own scratch directory) while it is written: a
   * follower reads the bytes back through the log's descriptor as they reach the disk, so the upload need
   * not make a second pass over a large log after the task (generic-worker compresses after the task,
   * artifacts/s3.go). Memory stays flat: one chunk at a time, with the gzip stream's back-pressure.
   */
  gzipAlong(file: string): void {
    if (this.gzip || this.fd === undefined) return;
    this.gzipFile = file;
    let pos = 0;
    /** Caught up: waiting for a full chunk or the end of the log, so a chatty task costs no read per line. */
    let parked = false;
    const wake = () => {
      if (parked && (this.onDisk - pos >= READ_CHUNK || !this.writable || this.failure)) {
        parked = false;
        pull();
      }
    };
    const pull = () => {
      if (this.followerReading || parked) return;
      const fd = this.fd;
      if (fd === undefined || this.disposed) return source.destroy(new Error('the log was disposed'));
      const available = this.onDisk - pos;
      if (available < READ_CHUNK && this.writable && !this.failure) {
        parked = true;
        return;
      }
      if (available === 0) return source.push(null);
      const buf = Buffer.allocUnsafe(Math.min(available, READ_CHUNK));
      this.followerReading = true;
      read(fd, buf, 0, buf.length, pos, (error, n) => {
        this.followerReading = false;
        if (this.disposed) this.closeFd(); // dispose left the descriptor to this read
        if (error) return source.destroy(error);
        if (n === 0) return source.destroy(new Error('the backing log ended early'));
        pos += n;
        if (source.push(buf.subarray(0, n))) pull();
      });
    };
    const source = new Readable({ read: pull });
    this.on('data', wake);
    this.on('close', wake);
    this.gzip = gzipToFile(source, file)
      // The source ends only once the log is closed (or refused a write) and every byte on disk was read, so
      // pos is the disk's length; after a refused write the rest is in the in-memory tail, not in the gzip.
      .then(({ size, sha256 }) => (this.failure ? undefined : { file, size, rawSize: pos, sha256 }))
      .catch(() => undefined) // no room in the scratch directory, or disposed: the upload compresses itself
      .finally(() => {
        this.off('data', wake);
        this.off('close', wake);
        if (this.disposed) rmSync(file, { force: true });
      });
  }

  /** The follower's gzip once the log is closed, or undefined (none started, or it could not finish). */
  async gzipped(): Promise<GzippedLog | undefined> {
    if (this.writable) throw new Error('gzipped(): the log is still open');
    return this.gzip;
  }

  /** No more writes (readers are told the log ended); the descriptor stays open for reading. */
  close(): void {
    if (!this.writable) return;
    this.writable = false;
    this.emit('close');
  }

  /** Close the descriptor: after the upload, once nothing reads the log any more. */
  dispose(): void {
    this.close();
    this.disposed = true;
    if (this.gzipFile) rmSync(this.gzipFile, { force: true });
    // A follower's read in flight closes the descriptor when it returns: closed now, its number could be
    // reused by another file before the read runs.
    if (!this.followerReading) this.closeFd();
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Shell-style quoting for the `Executing command` line (generic-worker logs a shell-escaped argv). */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Go-style duration text (`1.234s`, `12ms`), as generic-worker prints Task Duration / Wall Time. */
export function goDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${+ms.toFixed(3)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${+s.toFixed(3)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${+(s - m * 60).toFixed(3)}s`;
}
