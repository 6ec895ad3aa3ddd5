// `tc-worker run --with-worker-runner` driven over stdin/stdout as worker-runner drives it (issue 11):
// silent until welcome, hello with the shared capabilities, the log as `log` messages, new credentials
// for claimWork, graceful termination (finish-tasks) → exit 72, worker-manager's terminate → shutdown + 70.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, lastRun, PROVISIONER, startHarness } from './harness.ts';

const bin = fileURLToPath(new URL('../../bin/tc-worker.js', import.meta.url));
const posix = process.platform !== 'win32';

interface Session {
  messages: Array<{ type: string; [k: string]: unknown }>;
  beforeWelcome: string;
  send(msg: object): void;
  waitFor(pred: () => boolean, what: string): Promise<void>;
  exit: Promise<number | null>;
  stderr: () => string;
}

function startRunnerSession(h: Harness, config: Record<string, unknown>, welcome: string[]): Session {
  const file = join(h.dir, `wr-${Math.random().toString(36).slice(2)}.config`);
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [bin, 'run', '--config', file, '--with-worker-runner'], {
    cwd: h.dir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const s: Session = {
    messages: [],
    beforeWelcome: '',
    send: (msg) => child.stdin.write(`~${JSON.stringify(msg)}\n`),
    async waitFor(pred, what) {
      for (let i = 0; i < 600 && !pred(); i++) await new Promise((r) => setTimeout(r, 100));
      if (!pred()) throw new Error(`timed out waiting for ${what}; stderr: ${err.slice(-2000)}`);
    },
    exit: new Promise((r) => child.on('exit', (code) => r(code))),
    stderr: () => err,
  };
  let welcomed = false;
  let buf = '';
  let err = '';
  child.stderr.on('data', (b) => (err += b));
  child.stdout.on('data', (b: Buffer) => {
    if (!welcomed) s.beforeWelcome += b.toString();
    buf += b.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line.startsWith('~{')) s.messages.push(JSON.parse(line.slice(1)));
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  child.on('exit', () => clearTimeout(timer));
  // Hold welcome back a moment: a worker that writes before it would be caught.
  setTimeout(() => {
    welcomed = true;
    s.send({ type: 'welcome', capabilities: welcome });
  }, 1500);
  return s;
}

describe.skipIf(!posix)('tc-worker under worker-runner', () => {
  let h: Harness;
  const runner = { clientId: 'project/worker-runner/first', accessToken: 'first-token-0123456789' };
  const renewed = { clientId: 'project/worker-runner/renewed', accessToken: 'renewed-token-0123456789' };
  beforeAll(async () => {
    // The clients worker-runner would hand out: the worker's own calls only, plus should-worker-terminate.
    const scopes = [
      `queue:claim-work:${PROVISIONER}/*`,
      'queue:worker-id:e2e/*',
      `worker-manager:should-worker-terminate:${PROVISIONER}/*`,
    ];
    h = await startHarness({
      clients: [
        { ...runner, scopes },
        { ...renewed, scopes },
      ],
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('negotiates, logs through the protocol, switches credentials and finishes the task on graceful termination', async () => {
    const taskId = await h.createTask({
      maxRunTime: 60,
      command: [['/bin/bash', '-c', 'echo started; sleep 4; echo finished']],
    });
    const s = startRunnerSession(h, h.config({ ...runner, numberOfTasksToRun: 0 }), [
      'graceful-termination',
      'new-credentials',
      'log',
      'shutdown',
      'unknown-capability',
    ]);
    await s.waitFor(() => s.messages.some((m) => m.type === 'hello'), 'hello');
    expect(s.beforeWelcome).toBe('');
    expect(s.messages[0]).toEqual({
      type: 'hello',
      capabilities: ['graceful-termination', 'new-credentials', 'log', 'shutdown'],
    });
    await s.waitFor(
      () => h.mock.trace.entries().some((e) => e.route === 'claimWork' && (e.response.body as any)?.tasks?.length),
      'the claim',
    );
    s.send({ type: 'new-credentials', 'client-id': renewed.clientId, 'access-token': renewed.accessToken });
    const sentAt = Date.now();
    await s.waitFor(
      () =>
        h.mock.trace
          .entries()
          .some((e) => e.route === 'claimWork' && e.clientId === renewed.clientId && Date.parse(e.time) > sentAt),
      'a claimWork with the renewed client',
    );
    s.send({ type: 'graceful-termination', 'finish-tasks': true });
    expect(await s.exit, s.stderr()).toBe(72);
    expect((await lastRun(h, taskId)).state).toBe('completed');
    // The task's own calls kept its temporary credentials.
    const taskCalls = h.mock.trace
      .entries()
      .filter(
        (e) =>
          e.service === 'queue' &&
          e.taskId === taskId &&
          e.route !== 'claimWork' &&
          e.clientId !== h.mock.admin.clientId,
      );
    expect(taskCalls.length).toBeGreaterThan(0);
    for (const e of taskCalls) expect(e.clientId).toMatch(/^task-client\//);
    // Every log line went out as a log message: nothing on stderr, only protocol lines on stdout.
    expect(s.stderr()).toBe('');
    const logs = s.messages.filter((m) => m.type === 'log');
    expect(logs.length).toBeGreaterThan(3);
    for (const m of logs) expect(typeof (m.body as any).textPayload).toBe('string');
    expect(s.messages.every((m) => ['hello', 'log'].includes(m.type))).toBe(true);
  }, 120_000);

  it('sends shutdown and exits 70 when worker-manager says terminate; logs to stderr without `log`', async () => {
    const cfg = h.config({ ...runner, numberOfTasksToRun: 0 });
    h.mock.workerManager.setShouldTerminate(`${PROVISIONER}/${cfg.workerType}`, 'e2e', String(cfg.workerId), true);
    const s = startRunnerSession(h, cfg, ['shutdown']);
    expect(await s.exit, s.stderr()).toBe(70);
    expect(s.messages.map((m) => m.type)).toEqual(['hello', 'shutdown']);
    expect(s.stderr()).toContain('worker manager says this worker should terminate');
  }, 60_000);
});
