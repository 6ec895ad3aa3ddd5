// Driving a worker the way worker-runner does (taskcluster v106 tools/worker-runner, tools/workerproto):
// the case's setup.workerRunner makes the runner start the worker with its stdin piped, hold back for a
// moment (so a worker that writes before `welcome` is caught), send `welcome` with the case's
// capabilities, then send its steps (new-credentials, graceful-termination, a changed worker-manager
// answer…) when their conditions hold. Everything the worker writes on stdout is split into protocol
// messages and other lines, with the time and the mock trace position of each, for the checkers.
// Like worker-runner, it hands the worker a client of its own (with worker-manager's
// should-worker-terminate scope), minted on the mock through its control API, plus a second one to
// renew to.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import hawk from 'hawk';
import { request } from 'undici';
import type { ObservedWorkerRunner, ProtocolMessage } from '../spec/types.ts';
import { expandDeep } from './profiles.ts';
import type { TraceEntry } from './types.ts';

export interface RunnerStep {
  /** Conditions, all of which must hold: time since the worker started, a successful call in the trace, */
  afterMs?: number;
  whenRoute?: string;
  /** a message the worker sent (by type), text in its stdout/stderr. */
  whenMessage?: string;
  whenOutputContains?: string;
  /** A message for the worker (placeholders such as ${RENEWED_CLIENT_ID} are substituted). */
  send?: ProtocolMessage;
  /** The answer worker-manager's shouldWorkerTerminate gives this worker from now on. */
  shouldTerminate?: boolean;
  /** End the worker's stdin (the runner went away). */
  closeStdin?: boolean;
}

export interface WorkerRunnerSetup {
  /** Capabilities the runner offers in `welcome`. */
  welcome: string[];
  /** How long after the start `welcome` goes out (default 1500 ms): output before it is recorded. */
  welcomeAfterMs?: number;
  /** worker-manager's first answer to shouldWorkerTerminate (default false). */
  shouldTerminate?: boolean;
  steps?: RunnerStep[];
}

interface Admin {
  clientId: string;
  accessToken: string;
}

const POLL_MS = 100;

/** The runner side of one case; undefined when the case does not use worker-runner. */
export function workerRunnerFor(setup: { workerRunner?: unknown } | undefined): WorkerRunnerDriver | undefined {
  return setup?.workerRunner ? new WorkerRunnerDriver(setup.workerRunner as WorkerRunnerSetup) : undefined;
}

export class WorkerRunnerDriver {
  private readonly setup: WorkerRunnerSetup;
  private rootUrl = '';
  private admin: Admin = { clientId: '', accessToken: '' };
  private pool = { workerPoolId: '', workerGroup: '', workerId: '' };
  private vars: Record<string, string> = {};
  private readonly obs: ObservedWorkerRunner = {
    offered: [],
    outputBeforeWelcome: '',
    messages: [],
    sent: [],
    otherLines: [],
    runnerClientId: '',
    renewedClientId: '',
  };
  private stdoutBuffer = '';
  private output = '';
  private timer: NodeJS.Timeout | undefined;
  private pendingControl: Promise<unknown> = Promise.resolve();
  private errors: string[] = [];

  constructor(setup: WorkerRunnerSetup) {
    this.setup = setup;
    this.obs.offered = [...setup.welcome];
  }

  private runner = { clientId: '', accessToken: '' };
  private renewed = { clientId: '', accessToken: '' };

  /**
   * Before the config is written: the runner's clients for this case, as placeholders — the config carries
   * the first (CLIENT_ID / ACCESS_TOKEN), as worker-runner writes generic-worker's config.
   */
  clients(workerType: string): Record<string, string> {
    const ids = runnerClientIds(workerType);
    this.runner = { clientId: ids.runner, accessToken: token() };
    this.renewed = { clientId: ids.renewed, accessToken: token() };
    this.obs.runnerClientId = this.runner.clientId;
    this.obs.renewedClientId = this.renewed.clientId;
    return {
      CLIENT_ID: this.runner.clientId,
      ACCESS_TOKEN: this.runner.accessToken,
      RENEWED_CLIENT_ID: this.renewed.clientId,
      RENEWED_ACCESS_TOKEN: this.renewed.accessToken,
    };
  }

  /** Before the worker starts: create both clients on the mock and set worker-manager's first answer. */
  async prepare(rootUrl: string, admin: Admin, vars: Record<string, string>): Promise<void> {
    this.rootUrl = rootUrl.replace(/\/$/, '');
    this.admin = admin;
    this.pool = { workerPoolId: vars.TASK_QUEUE_ID!, workerGroup: vars.WORKER_GROUP!, workerId: vars.WORKER_ID! };
    const scopes = [
      `queue:claim-work:${vars.TASK_QUEUE_ID}`,
      `queue:worker-id:${vars.WORKER_GROUP}/${vars.WORKER_ID}`,
      `worker-manager:should-worker-terminate:${vars.TASK_QUEUE_ID}/${vars.WORKER_GROUP}/${vars.WORKER_ID}`,
    ];
    for (const c of [this.runner, this.renewed]) {
      await this.control('PUT', `/clients/${c.clientId}`, { accessToken: c.accessToken, scopes });
    }
    await this.setShouldTerminate(this.setup.shouldTerminate ?? false);
    this.vars = vars;
  }

  private readonly steps: Array<RunnerStep & { done: boolean }> = [];

  /** Once the worker process exists (its stdin is a pipe): read its stdout, send welcome, then the steps. */
  attach(child: ChildProcess, trace: () => TraceEntry[]): void {
    const started = Date.now();
    child.stdout?.on('data', (b: Buffer) => this.stdout(b.toString('utf8'), trace));
    child.stderr?.on('data', (b: Buffer) => {
      this.output += b.toString('utf8');
    });
    child.stdin?.on('error', () => {}); // the worker may exit before reading everything
    for (const st of this.setup.steps ?? []) this.steps.push({ ...st, done: false });
    const steps = this.steps;
    const welcomeAfter = this.setup.welcomeAfterMs ?? 1500;
    this.timer = setInterval(() => {
      const now = Date.now();
      if (this.obs.welcomeAt === undefined) {
        if (now - started < welcomeAfter) return;
        this.send(child, { type: 'welcome', capabilities: this.setup.welcome }, trace);
        this.obs.welcomeAt = new Date().toISOString();
        return;
      }
      for (const s of steps) {
        if (s.done || !this.due(s, started, trace())) continue;
        s.done = true;
        if (s.shouldTerminate !== undefined) {
          const value = s.shouldTerminate;
          this.pendingControl = this.pendingControl.then(() => this.setShouldTerminate(value));
          this.obs.sent.push({ at: new Date().toISOString(), seq: lastSeq(trace()), shouldTerminate: value });
        }
        if (s.send) this.send(child, expandDeep(s.send, this.vars) as ProtocolMessage, trace);
        if (s.closeStdin) child.stdin?.end();
        // One step per tick, so "after this message" conditions see the previous one's effect.
        break;
      }
    }, POLL_MS);
    child.on('exit', () => clearInterval(this.timer));
  }

  /** What the runner saw, once the worker exited. */
  async observation(): Promise<ObservedWorkerRunner> {
    clearInterval(this.timer);
    await this.pendingControl.catch(() => {});
    if (this.stdoutBuffer !== '') this.line(this.stdoutBuffer, []);
    this.stdoutBuffer = '';
    if (this.errors.length > 0) this.obs.errors = this.errors;
    // As for signal steps: a step whose condition never held did not put to the worker what the case is about.
    const notSent = [
      ...(this.obs.welcomeAt === undefined ? ['setup.workerRunner welcome'] : []),
      ...this.steps.flatMap((st, i) => (st.done ? [] : [`setup.workerRunner.steps[${i}] (${describe(st)})`])),
    ];
    if (notSent.length > 0)
      this.obs.stepsNotSent = notSent.map((what) => `${what} was not sent before the worker exited`);
    return this.obs;
  }

  private due(s: RunnerStep, started: number, trace: TraceEntry[]): boolean {
    if (s.afterMs !== undefined && Date.now() - started < s.afterMs) return false;
    if (s.whenRoute !== undefined && !trace.some((e) => e.route === s.whenRoute && e.status >= 200 && e.status < 300))
      return false;
    if (s.whenMessage !== undefined && !this.obs.messages.some((m) => m.message.type === s.whenMessage)) return false;
    if (s.whenOutputContains !== undefined && !this.output.includes(s.whenOutputContains)) return false;
    return true;
  }

  private send(child: ChildProcess, message: ProtocolMessage, trace: () => TraceEntry[]): void {
    const entry = { at: new Date().toISOString(), seq: lastSeq(trace()), message };
    this.obs.sent.push(entry);
    if (child.stdin && !child.stdin.destroyed && child.stdin.writable)
      child.stdin.write(`~${JSON.stringify(message)}\n`);
  }

  private stdout(text: string, trace: () => TraceEntry[]): void {
    this.output += text;
    if (this.obs.welcomeAt === undefined) this.obs.outputBeforeWelcome += text;
    this.stdoutBuffer += text;
    for (;;) {
      const nl = this.stdoutBuffer.indexOf('\n');
      if (nl < 0) break;
      const line = this.stdoutBuffer.slice(0, nl);
      this.stdoutBuffer = this.stdoutBuffer.slice(nl + 1);
      this.line(line, trace());
    }
  }

  /** One stdout line: a message (workerproto pipe.go: `~{…}` after trimming) or just a log line. */
  private line(raw: string, trace: TraceEntry[]): void {
    const line = raw.trim();
    if (line.startsWith('~{') && line.endsWith('}')) {
      try {
        const message = JSON.parse(line.slice(1));
        if (message && typeof message === 'object' && typeof message.type === 'string') {
          if (this.obs.messages.length < 5000)
            this.obs.messages.push({ at: new Date().toISOString(), seq: lastSeq(trace), message });
          return;
        }
      } catch {}
    }
    if (line !== '' && this.obs.otherLines.length < 1000) this.obs.otherLines.push(line.slice(0, 2000));
  }

  private setShouldTerminate(terminate: boolean): Promise<unknown> {
    const { workerPoolId, workerGroup, workerId } = this.pool;
    return this.control('PUT', `/should-terminate/${workerPoolId}/${workerGroup}/${workerId}`, { terminate });
  }

  /** The mock's control API (mocks/control/handlers.ts), Hawk-signed as the harness. */
  private async control(method: 'PUT', path: string, body: unknown): Promise<unknown> {
    const url = `${this.rootUrl}/mock/v1${path}`;
    const payload = JSON.stringify(body);
    const header = hawk.client.header(url, method, {
      credentials: { id: this.admin.clientId, key: this.admin.accessToken, algorithm: 'sha256' },
      payload,
      contentType: 'application/json',
    }).header;
    const res = await request(url, {
      method,
      headers: { authorization: header, 'content-type': 'application/json' },
      body: payload,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      const problem = `mock control ${method} ${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
      this.errors.push(problem);
      throw new Error(problem);
    }
    return JSON.parse(text);
  }
}

function lastSeq(trace: TraceEntry[]): number {
  return trace.length > 0 ? trace[trace.length - 1]!.seq : 0;
}

function token(): string {
  return randomBytes(24).toString('base64url');
}

function describe(st: RunnerStep): string {
  const { afterMs, whenRoute, whenMessage, whenOutputContains } = st;
  const what = st.send
    ? `send ${st.send.type}`
    : st.shouldTerminate !== undefined
      ? `shouldTerminate ${st.shouldTerminate}`
      : 'close stdin';
  const when = Object.entries({ afterMs, whenRoute, whenMessage, whenOutputContains })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${typeof v === 'string' ? JSON.stringify(v) : v}`);
  return [what, ...when].join(' ');
}

/** The clients the kit, as worker-runner, gives a case's worker: the one in its config and the renewed one. */
export function runnerClientIds(workerType: string): { runner: string; renewed: string } {
  return { runner: `tc-kit/worker-runner/${workerType}`, renewed: `tc-kit/worker-runner/${workerType}/renewed` };
}
