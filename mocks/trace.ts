// Every HTTP exchange, recorded at handler level so both transports produce the same trace
// (decisions/0001-architecture.md, TraceEntry).
import { writeFileSync } from 'node:fs';

export type ServiceName = 'queue' | 'object' | 'purge-cache' | 'worker-manager' | 'store' | 'superseder' | 'files';

export interface TraceEntry {
  seq: number;
  time: string;
  durationMs: number;
  service: ServiceName;
  method: string;
  path: string;
  route: string;
  clientId: string | null;
  taskId?: string;
  runId?: number;
  status: number;
  request: { query?: Record<string, string>; headers?: Record<string, string>; body?: unknown };
  response: { body?: unknown };
  fault?: string;
}

export class Trace {
  private readonly list: TraceEntry[] = [];
  private nextSeq = 1;

  record(entry: Omit<TraceEntry, 'seq'>): TraceEntry {
    const full = { seq: this.nextSeq++, ...entry };
    this.list.push(full);
    return full;
  }

  entries(): TraceEntry[] {
    return [...this.list];
  }

  /** Entries recorded after `seq` (exclusive), so a caller can read only what it caused. */
  since(seq: number): TraceEntry[] {
    // Entry i has seq i + 1 (record is the only writer), so this is a slice, not a scan.
    return this.list.slice(Math.max(0, Math.floor(seq)));
  }

  /** The seq of the newest entry, 0 when empty. */
  last(): number {
    return this.nextSeq - 1;
  }

  toJSON(): TraceEntry[] {
    return this.entries();
  }

  write(path: string): void {
    writeFileSync(path, `${JSON.stringify(this.list, null, 2)}\n`);
  }
}
