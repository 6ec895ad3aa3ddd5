// The runner/worker protocol worker-runner speaks with the worker it starts (`run --with-worker-runner`),
// after taskcluster v106 tools/workerproto (README.md, protocol.go, pipe.go) and generic-worker's
// workerrunner.go: newline-terminated `~{json}` messages on stdin/stdout, every other stdout line is
// just a log line for the runner. The runner opens with `welcome` (its capabilities); the worker answers
// `hello` with the capabilities both support (README: "a subset of that provided by start-worker") and
// from then on sends only messages of those. Nothing goes out before `welcome`: log lines written
// earlier wait, as generic-worker's log writer blocks until the protocol is initialised.
// Capabilities: log (the worker's own log as `log` messages, else stderr), error-report, shutdown
// (the runner removes the worker instead of the worker shutting the machine down), new-credentials
// and graceful-termination (runner → worker).
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export const WORKER_CAPABILITIES = ['graceful-termination', 'new-credentials', 'error-report', 'log', 'shutdown'];

export interface ProtocolMessage {
  type: string;
  [k: string]: unknown;
}

type Handler = (msg: ProtocolMessage) => void;

/** Parse one protocol line; undefined for a line that is not a message (it is only logged). */
export function parseMessage(line: string): ProtocolMessage | undefined {
  const l = line.trim();
  if (!l.startsWith('~{') || !l.endsWith('}')) return undefined;
  try {
    const m = JSON.parse(l.slice(1));
    return m && typeof m === 'object' && typeof m.type === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

export class WorkerRunnerProtocol {
  private readonly output: Writable;
  private readonly handlers = new Map<string, Handler[]>();
  private negotiated: Set<string> | undefined;
  private readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(input: Readable, output: Writable) {
    this.output = output;
    // The runner went away (EPIPE): nothing more can reach it; the worker carries on and exits as usual.
    output.on('error', () => {});
    this.ready = new Promise((r) => {
      this.markReady = r;
    });
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on('line', (line) => this.receive(line));
    // The runner went away before welcome: carry on with no capabilities (logs go to stderr) rather
    // than block for ever as generic-worker would.
    lines.on('close', () => this.initialise([]));
  }

  /** Resolves once `welcome` has been answered (or the runner closed stdin first). */
  initialised(): Promise<void> {
    return this.ready;
  }

  /** Whether both ends support `capability`; false before initialisation. */
  capable(capability: string): boolean {
    return this.negotiated?.has(capability) ?? false;
  }

  on(type: string, handler: Handler): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler]);
  }

  /** Send a message of a negotiated capability; returns whether it went out. */
  send(msg: ProtocolMessage): boolean {
    if (!this.capable(msg.type)) return false;
    this.write(msg);
    return true;
  }

  /** Resolves once everything written so far has been handed to the OS (before process.exit). */
  flush(): Promise<void> {
    return new Promise((r) => {
      if (this.output.writableEnded || this.output.destroyed) r();
      else this.output.write('', () => r());
    });
  }

  private write(msg: ProtocolMessage): void {
    if (this.output.writableEnded || this.output.destroyed) return;
    this.output.write(`~${JSON.stringify(msg)}\n`);
  }

  private initialise(offered: string[]): void {
    if (this.negotiated) return;
    this.negotiated = new Set(WORKER_CAPABILITIES.filter((c) => offered.includes(c)));
    this.markReady();
  }

  private receive(line: string): void {
    // A line that is not a message is dropped (v106 workerproto pipe.go logs it; nothing here does yet).
    const msg = parseMessage(line);
    if (!msg) return;
    if (msg.type === 'welcome') {
      if (this.negotiated) return; // one welcome per connection
      const offered = Array.isArray(msg.capabilities) ? msg.capabilities.filter((c) => typeof c === 'string') : [];
      this.initialise(offered);
      this.write({ type: 'hello', capabilities: [...(this.negotiated ?? [])] });
      return;
    }
    // Messages of capabilities that were not negotiated (or before welcome) are not acted on.
    if (!this.capable(msg.type)) return;
    for (const h of this.handlers.get(msg.type) ?? []) h(msg);
  }
}

/**
 * A log destination (worker-log.ts) that sends each log line as a `log` message once `log` is negotiated, else to
 * `fallback` (stderr); lines logged before `welcome` wait until then, in order.
 */
export class ProtocolLogStream {
  private readonly protocol: WorkerRunnerProtocol;
  private readonly fallback: (line: string) => void;
  private pending: string[] | undefined = [];

  constructor(protocol: WorkerRunnerProtocol, fallback: (line: string) => void) {
    this.protocol = protocol;
    this.fallback = fallback;
    protocol.initialised().then(() => {
      const lines = this.pending ?? [];
      this.pending = undefined;
      for (const l of lines) this.deliver(l);
    });
  }

  write(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      if (this.pending) {
        if (this.pending.length < 10_000) this.pending.push(line);
      } else this.deliver(line);
    }
  }

  private deliver(line: string): void {
    if (!this.protocol.capable('log')) {
      this.fallback(`${line}\n`);
      return;
    }
    let body: Record<string, unknown>;
    try {
      const parsed = JSON.parse(line);
      body = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : { value: parsed };
    } catch {
      body = {};
    }
    // textPayload is the primary field for unstructured log destinations (workerproto README, log).
    body.textPayload = typeof body.msg === 'string' ? body.msg : line;
    this.protocol.send({ type: 'log', body });
  }
}

/** generic-worker's errorreport.Send: an error for worker-manager's list of worker pool errors. */
export function errorReport(
  protocol: WorkerRunnerProtocol,
  description: string,
  extra: Record<string, unknown> = {},
): void {
  protocol.send({ type: 'error-report', kind: 'worker-error', title: 'tc-worker error', description, extra });
}
