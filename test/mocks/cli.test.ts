// The tc-mock-queue command-line contract: one JSON ready line, SIGTERM → exit 0 with the trace
// written, bad arguments → one line on stderr and exit 2.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import slugid from 'slugid';
import { afterAll, describe, expect, it } from 'vitest';
import { call, taskBody } from './helpers.ts';

// Windows cannot deliver SIGTERM/SIGINT to another process: kill() terminates it, so no trace is written.
const noSignals = process.platform === 'win32';

const BIN = resolve(import.meta.dirname, '../../bin/tc-mock-queue.js');
const dir = mkdtempSync(join(tmpdir(), 'tc-mock-cli-'));
// A failed assertion must not leave a mock running: every child still alive at the end is killed, by its pid.
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function start(args: string[]): {
  child: ChildProcess;
  ready: Promise<Record<string, string>>;
  exit: Promise<{ code: number | null; stderr: string }>;
} {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exit = new Promise<{ code: number | null; stderr: string }>((res) =>
    child.on('exit', (code) => res({ code, stderr })),
  );
  const ready = new Promise<Record<string, string>>((res, rej) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => res(JSON.parse(line)));
    child.on('exit', (code) => rej(new Error(`exited ${code} before ready: ${stderr}`)));
  });
  return { child, ready, exit };
}

describe('tc-mock-queue CLI', () => {
  it.skipIf(noSignals)('prints the ready line, serves, and on SIGTERM writes the trace and exits 0', async () => {
    const trace = join(dir, 'trace.json');
    const p = start(['--port', '0', '--long-poll-ms', '50', '--claim-timeout', '30', '--trace', trace]);
    const ready = await p.ready;
    expect(Object.keys(ready).sort()).toEqual(['accessToken', 'clientId', 'rootUrl']);
    expect(ready.rootUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const taskId = slugid.nice();
    const r = await call(ready.rootUrl, 'GET', `/api/queue/v1/task/${taskId}/status`, {
      creds: { clientId: ready.clientId, accessToken: ready.accessToken },
    });
    expect(r.status).toBe(404);
    p.child.kill('SIGTERM');
    expect((await p.exit).code).toBe(0);
    const entries = JSON.parse(readFileSync(trace, 'utf8'));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ seq: 1, route: 'status', status: 404, taskId, clientId: ready.clientId });
  });

  it.skipIf(noSignals)('takes clients and faults from files', async () => {
    const clients = join(dir, 'clients.json');
    writeFileSync(clients, JSON.stringify([{ clientId: 'me', accessToken: 'my-token', scopes: ['queue:status:*'] }]));
    const faults = join(dir, 'faults.json');
    writeFileSync(faults, JSON.stringify([{ route: 'status', status: 503, times: 1 }]));
    const p = start(['--port', '0', '--clients', clients, '--faults', faults]);
    const ready = await p.ready;
    const creds = { clientId: 'me', accessToken: 'my-token' };
    const path = `/api/queue/v1/task/${slugid.nice()}/status`;
    expect((await call(ready.rootUrl, 'GET', path, { creds })).status).toBe(503);
    expect((await call(ready.rootUrl, 'GET', path, { creds })).status).toBe(404);
    p.child.kill('SIGINT');
    expect((await p.exit).code).toBe(0);
  });

  it.skipIf(noSignals)('--anonymous-scopes sets the role of every request (default: public)', async () => {
    const path = `/api/queue/v1/task/${slugid.nice()}/status`;
    const pub = start(['--port', '0']);
    // queue:status:* is in the public anonymous role: the lookup itself answers.
    expect((await call((await pub.ready).rootUrl, 'GET', path)).status).toBe(404);
    pub.child.kill('SIGTERM');
    expect((await pub.exit).code).toBe(0);
    const none = start(['--port', '0', '--anonymous-scopes', 'none']);
    const r = await call((await none.ready).rootUrl, 'GET', path);
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('InsufficientScopes');
    none.child.kill('SIGTERM');
    expect((await none.exit).code).toBe(0);
    const list = start(['--port', '0', '--anonymous-scopes', '["queue:status:*"]']);
    expect((await call((await list.ready).rootUrl, 'GET', path)).status).toBe(404);
    list.child.kill('SIGTERM');
    expect((await list.exit).code).toBe(0);
  });

  it.skipIf(noSignals)('--deadline-delay-ms resolves deadline-exceeded that long after the deadline', async () => {
    const p = start(['--port', '0', '--deadline-delay-ms', '1500']);
    const ready = await p.ready;
    const creds = { clientId: ready.clientId, accessToken: ready.accessToken };
    const taskId = slugid.nice();
    const deadline = new Date(Date.now() + 1000).toISOString();
    const made = await call(ready.rootUrl, 'PUT', `/api/queue/v1/task/${taskId}`, {
      creds,
      body: taskBody('prov/wt-cli', Date.now(), { deadline }),
    });
    expect(made.status).toBe(200);
    let run: any;
    for (let i = 0; i < 300 && run?.state !== 'exception'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = (await call(ready.rootUrl, 'GET', `/api/queue/v1/task/${taskId}/status`, { creds })).body.status.runs[0];
    }
    expect(run).toMatchObject({ state: 'exception', reasonResolved: 'deadline-exceeded' });
    // The mock resolves at deadline + delay exactly (on the real clock it does so when that moment comes).
    expect(Date.parse(run.resolved) - Date.parse(deadline)).toBe(1500);
    p.child.kill('SIGTERM');
    expect((await p.exit).code).toBe(0);
  });

  it.each([
    [['--anonymous-scopes', 'everyone'], /--anonymous-scopes must be public, none or a JSON array/],
    [['--anonymous-scopes', '{"a":1}'], /--anonymous-scopes: the JSON must be an array of scope strings/],
    [['--deadline-delay-ms', '-5'], /--deadline-delay-ms/],
    [['--port', 'abc'], /--port/],
    [['--bogus'], /unknown option/],
    [['--clients', '/nonexistent/clients.json'], /cannot read clients file/],
    [['--claim-timeout', '0'], /--claim-timeout/],
    [['--files', '/nonexistent/dir'], /--files .*not a directory/],
    [['--trace', '/nonexistent/dir/trace.json'], /--trace .*does not exist/],
  ])('exits 2 with one line for %j', async (args, pattern) => {
    const p = start(args as string[]);
    p.ready.catch(() => {});
    const { code, stderr } = await p.exit;
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(pattern);
  });

  it('exits 2 naming the entry of a bad clients file', async () => {
    const clients = join(dir, 'bad-clients.json');
    writeFileSync(clients, JSON.stringify([{ clientId: 'me', scopes: [] }]));
    const p = start(['--clients', clients]);
    p.ready.catch(() => {});
    const { code, stderr } = await p.exit;
    expect(code).toBe(2);
    expect(stderr).toMatch(/\[0\]\.accessToken/);
  });
});
