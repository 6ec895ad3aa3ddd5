// The worker's own log (not a task log): one JSON object per line, in pino's line format — numeric level, time
// in ms, pid, hostname, the logger's bindings, the call's fields, msg — so log shippers and worker-runner read it
// as they would a pino log. Not pino itself: an idle worker paid 1.0 MiB of RSS for it (its transport module
// loads worker_threads and thread-stream even for a synchronous destination), for three methods the worker
// uses (decisions/0004-start-up-cost.md).
import { writeSync } from 'node:fs';
import { hostname } from 'node:os';
import type { WorkerLogger } from './task-run.ts';

/** Where log lines go: a stream-like object taking whole lines ending in "\n". */
export interface LogDestination {
  write(line: string): void;
}

const LEVELS = { info: 30, warn: 40, error: 50 } as const;

/**
 * Writes synchronously to a descriptor, as pino's `destination({ sync: true })` did: the worker logs right
 * before process.exit, and a line must not be lost. A pipe the parent made non-blocking can answer EAGAIN;
 * wait briefly and go on with what is left.
 */
export function fdDestination(fd: number): LogDestination {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return {
    write(line: string) {
      let buf = Buffer.from(line);
      for (let tries = 0; buf.length > 0 && tries < 1000; ) {
        try {
          buf = buf.subarray(writeSync(fd, buf));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return; // a closed stderr must not stop the worker
          tries++;
          Atomics.wait(pause, 0, 0, 10);
        }
      }
    },
  };
}

/** JSON that never throws: circular references and BigInts would make JSON.stringify throw mid-log. */
function stringify(record: Record<string, unknown>): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(record, (_key, value) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
    if (value && typeof value === 'object') {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  });
}

export function workerLog(bindings: Record<string, unknown>, dest: LogDestination): WorkerLogger {
  const base = { pid: process.pid, hostname: hostname(), ...bindings };
  const at =
    (level: number) =>
    (obj: object | string, msg?: string): void => {
      const fields = typeof obj === 'string' ? {} : obj;
      const text = typeof obj === 'string' ? obj : msg;
      const line = stringify({
        level,
        time: Date.now(),
        ...base,
        ...fields,
        ...(text !== undefined ? { msg: text } : {}),
      });
      dest.write(`${line}\n`);
    };
  return { info: at(LEVELS.info), warn: at(LEVELS.warn), error: at(LEVELS.error) };
}
