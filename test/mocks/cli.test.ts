// The tc-mock-queue command-line contract: one JSON ready line, SIGTERM → exit 0 with the trace
// written, bad arguments → one line on stderr and exit 2.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import slugid from 'slugid';
import { afterAll, describe, expect, it } from 'vitest';
import { call, taskBody } from './helpers.ts';

// Windows cannot deliver SIGTERM/SIGINT to another process: kill() terminates it, so no trace is written.
const noSignals = process.platform === 'win32';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/tc-mock-queue.js');
/** npx from PATH (npm's, which runs on the system's Node), or undefined when there is none. */
const npx = process.env.PATH?.split(delimiter)
  .map((d) => join(d, process.platform === 'win32' ? 'npx.cmd' : 'npx'))
  .find((f) => existsSync(f));
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

  it('stops on POST /mock/v1/shutdown, writing the trace (also where signals cannot be sent)', async () => {
    const trace = join(dir, 'shutdown-trace.json');
    const p = start(['--port', '0', '--trace', trace]);
    const ready = await p.ready;
    const creds = { clientId: ready.clientId, accessToken: ready.accessToken };
    await call(ready.rootUrl, 'GET', `/api/queue/v1/task/${slugid.nice()}/status`, { creds });
    expect((await call(ready.rootUrl, 'POST', '/mock/v1/shutdown', { creds })).body).toEqual({ stopping: true });
    expect((await p.exit).code).toBe(0);
    expect(JSON.parse(readFileSync(trace, 'utf8'))).toHaveLength(1);
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

  // `npx tc-mock-queue` is the documented command. npm passes SIGTERM only to the `sh -c` it runs, so the
  // mock itself must notice npm going. npx runs offline, with its own cache, on the system's npm.
  it.skipIf(noSignals || !npx)('under npx, SIGTERM to npx stops the mock and writes its trace', async () => {
    const trace = join(dir, 'npx-trace.json');
    const child = spawn(npx!, ['tc-mock-queue', '--port', '0', '--long-poll-ms', '50', '--trace', trace], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_cache: join(dir, 'npm-cache'), npm_config_offline: 'true' },
    });
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    const ready = await new Promise<Record<string, string>>((res, rej) => {
      createInterface({ input: child.stdout! }).once('line', (line) => res(JSON.parse(line)));
      child.on('exit', (code) => rej(new Error(`npx exited ${code} before ready: ${stderr}`)));
    });
    const creds = { clientId: ready.clientId, accessToken: ready.accessToken };
    const taskId = slugid.nice();
    expect((await call(ready.rootUrl, 'GET', `/api/queue/v1/task/${taskId}/status`, { creds })).status).toBe(404);
    // The control API reaches the same mock: a fault added over HTTP shows in the trace written at exit.
    await call(ready.rootUrl, 'POST', '/mock/v1/faults', { creds, body: { route: 'status', status: 503 } });
    expect((await call(ready.rootUrl, 'GET', `/api/queue/v1/task/${taskId}/status`, { creds })).status).toBe(503);
    child.kill('SIGTERM');
    await exited;
    let entries: any[] | undefined;
    try {
      for (let i = 0; i < 100 && !entries; i++) {
        try {
          entries = JSON.parse(readFileSync(trace, 'utf8'));
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(entries?.map((e) => [e.route, e.status, e.fault])).toEqual([
        ['status', 404, undefined],
        ['status', 503, 'status 503'],
      ]);
      // And it no longer serves.
      await expect(fetch(`${ready.rootUrl}/superseder/${taskId}`)).rejects.toThrow();
    } finally {
      // Had the mock outlived npx, it is no child of ours to kill: stop it through its control API.
      if (!entries) await call(ready.rootUrl, 'POST', '/mock/v1/shutdown', { creds }).catch(() => {});
    }
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
