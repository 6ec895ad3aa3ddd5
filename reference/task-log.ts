// The task log in generic-worker's format (generic-worker-behaviour.md §3.2), written straight to disk
// (`<taskDir>/generic-worker/live_backing.log`) so nothing is held in memory; live-log readers subscribe
// to the bytes written after they joined.
import { EventEmitter } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';

export class TaskLog extends EventEmitter {
  readonly path: string;
  private fd: number | undefined;
  /** Bytes written so far. */
  size = 0;

  constructor(path: string) {
    super();
    this.path = path;
    this.fd = openSync(path, 'w', 0o644);
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  /** Raw bytes (command output). Synchronous so a reader that saw `size` can read exactly that much. */
  write(chunk: Buffer | string): void {
    if (this.fd === undefined) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    writeSync(this.fd, buf);
    this.size += buf.length;
    this.emit('data', buf);
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

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    this.emit('close');
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
