// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${MARKERS} is a fixture placeholder, not a template
// The catalogue's host side (conformance/fault-env.ts) and the invariants that judge it
// (spec/security/invariants.check.ts): each fact the runner gathers is seen when it is there, and each
// invariant fails on it. The end-to-end proof is `npm run conformance -- --only security/` (and faults/).
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, HostEnv } from '../../conformance/fault-env.ts';
import { statementsFor } from '../../conformance/invariants.ts';
import type { FixtureCase } from '../../conformance/types.ts';
import { noLeftoverProcess, noSecretLeak, nothingOutside, resolvedOnce } from '../../spec/security/invariants.check.ts';
import type { CaseExpectation, Observation } from '../../spec/types.ts';
import { readPid, until } from '../helpers/process.ts';

const f: FixtureCase = { id: 'security/x/y', description: 'x', statements: ['security.sandbox.kill-all'] };
const dirs: string[] = [];
const hosts: HostEnv[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.release();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function prepareHost(...args: ConstructorParameters<typeof HostEnv>): HostEnv {
  const host = new HostEnv(...args);
  hosts.push(host);
  return host;
}

function caseDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tc-kit-fault-env-'));
  mkdirSync(join(d, 'tasks'));
  mkdirSync(join(d, 'caches'));
  dirs.push(d);
  return d;
}

const exit0 = { exitCode: 0, signal: null, stdout: '', stderr: '', durationMs: 1, timedOut: false, signalsNotSent: [] };

function obs(extra: Partial<Observation> = {}): Observation {
  return {
    ...exit0,
    trace: [],
    tasks: {},
    config: {},
    profile: { name: 'p', generation: 'current' },
    platform: process.platform,
    ...extra,
  };
}
const c = {} as CaseExpectation;

describe('fault-env host facts', () => {
  it('holds every security and faults case to the invariants, and leaves other areas alone', () => {
    expect(statementsFor(f)).toEqual(
      expect.arrayContaining(['security.sandbox.kill-all', 'security.invariant.no-secret-leak']),
    );
    expect(statementsFor({ ...f, id: 'payload/command/x' })).toEqual(['security.sandbox.kill-all']);
  });

  it('finds a marker process still running at worker exit, and a process with the case TASK_ID', async () => {
    const d = caseDir();
    const host = prepareHost(f, d, 'kslug');
    host.setTaskIds(['TaskIdOfTheCase000000']);
    const marked = spawn('sh', ['-c', `echo $$ > '${host.vars.MARKERS}/m.pid'; exec sleep 30`], { stdio: 'ignore' });
    const tagged = spawn('sleep', ['30'], {
      stdio: 'ignore',
      env: { ...process.env, TASK_ID: 'TaskIdOfTheCase000000' },
    });
    // Wait for both to be what the host looks for: the marker file holding the pid (the shell creates it
    // before it writes it) and the tagged sleep exec'd with TASK_ID (before exec, /proc shows the parent's
    // environment). Under load either can take seconds.
    const markerWritten = () => readPid(join(host.vars.MARKERS, 'm.pid')) === marked.pid;
    const tagSeen = () =>
      process.platform !== 'linux' ||
      (existsSync(`/proc/${tagged.pid}/environ`) &&
        readFileSync(`/proc/${tagged.pid}/environ`, 'utf8').split('\0').includes('TASK_ID=TaskIdOfTheCase000000'));
    await until("the marker pid written and the tagged sleep exec'd", () => markerWritten() && tagSeen(), 10_000);
    await host.runWorkers(async (_signals, opts) => {
      opts.onExit?.();
      return exit0;
    }, []);
    const h = host.observed();
    const pids = h.leftover.map((p) => p.pid);
    expect(pids).toContain(marked.pid);
    if (process.platform === 'linux') expect(pids).toContain(tagged.pid);
    expect(noLeftoverProcess(obs({ host: h }), c)?.ok).toBe(false);
    host.release(); // takes them down: nothing outlives a case
    for (let i = 0; i < 500 && (alive(marked.pid!) || alive(tagged.pid!)); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(alive(marked.pid!)).toBe(false);
    expect(alive(tagged.pid!)).toBe(false);
  });

  it('sees escapes outside task directories and tampered victims, not files inside a task directory', () => {
    const d = caseDir();
    const host = prepareHost(f, d, 'kslug2');
    mkdirSync(join(d, 'tasks', 'task_1'));
    writeFileSync(join(d, 'tasks', 'task_1', 'tc-kit-escape-inside'), 'fine');
    let h = host.observed();
    expect(h.escapes).toEqual([]);
    expect(h.tampered).toEqual([]);
    expect(nothingOutside(obs({ host: h }), c)?.ok).toBe(true);

    const d2 = caseDir();
    const host2 = prepareHost(f, d2, 'kslug3');
    writeFileSync(join(d2, 'tc-kit-escape-file'), 'escaped');
    writeFileSync(join(d2, 'tasks', 'tc-kit-escape-beside'), 'escaped');
    writeFileSync(host2.vars.VICTIM, 'pwned');
    unlinkSync(join(host2.vars.VICTIM_DIR, 'vf'));
    symlinkSync('/etc/passwd', join(host2.vars.VICTIM_DIR, 'vf'));
    h = host2.observed();
    expect(h.escapes.sort()).toEqual(['tasks/tc-kit-escape-beside', 'tc-kit-escape-file']);
    expect(h.tampered).toEqual(
      expect.arrayContaining([
        'host/victim changed content',
        'host/victim-dir/vf was replaced by a symlink to /etc/passwd',
      ]),
    );
    const v = nothingOutside(obs({ host: h }), c);
    expect(v?.ok).toBe(false);
    expect(v?.message).toContain('tc-kit-escape-file was written outside every task directory');
  });
});

describe('fault-env worker runs', () => {
  it('restart: the first run gets the signals and keeps its process group, the fresh one is judged', async () => {
    const d = caseDir();
    const host = prepareHost({ ...f, setup: { host: { restart: true } } }, d, 'kslug4');
    const calls: Array<{ signals: number; keepGroup?: boolean; judged: boolean }> = [];
    const r = await host.runWorkers(
      async (signals, opts) => {
        calls.push({ signals: signals.length, keepGroup: opts.keepGroup, judged: opts.onExit !== undefined });
        opts.onExit?.();
        return calls.length === 1
          ? { ...exit0, exitCode: null, signal: 'SIGKILL', stdout: 'one', signalsNotSent: ['setup.signals[0] (…)'] }
          : { ...exit0, exitCode: 68, stdout: 'two' };
      },
      [{ signal: 'SIGKILL', whenFile: join(host.vars.MARKERS, 'started') }],
    );
    expect(calls).toEqual([
      { signals: 1, keepGroup: true, judged: false },
      { signals: 0, keepGroup: undefined, judged: true },
    ]);
    expect(r.exitCode).toBe(68);
    // The fresh run is judged, but a step the first run never sent still fails the case.
    expect(r.signalsNotSent).toEqual(['setup.signals[0] (…)']);
    expect(r.stdout).toMatch(
      /^one\n\[tc-kit\] first worker ended \(exit null, signal SIGKILL\); a fresh worker started\ntwo$/,
    );
  });

  it('alongside: a second worker with other ports starts once the file exists, and its exit is announced', async () => {
    const d = caseDir();
    const config = join(d, 'worker-config.json');
    writeFileSync(config, JSON.stringify({ livelogGETPort: 41001, livelogPUTPort: 41002, other: 41001 }));
    const host = prepareHost(f, d, 'kslug5');
    host.setWorker(config, [41001, 41002]);
    const seen: Array<string | undefined> = [];
    const r = await host.runWorkers(
      async (_signals, opts) => {
        seen.push(opts.config?.[1]);
        if (!opts.config) {
          writeFileSync(join(host.vars.MARKERS, 'started'), '');
          for (let i = 0; i < 500 && !existsSync(join(host.vars.MARKERS, 'alongside-exited')); i++)
            await new Promise((res) => setTimeout(res, 20));
          return { ...exit0, stdout: 'first' };
        }
        const other = JSON.parse(readFileSync(opts.config[1], 'utf8'));
        expect(other.livelogGETPort).not.toBe(41001);
        expect(other.livelogPUTPort).not.toBe(41002);
        return { ...exit0, exitCode: 68, stdout: 'second' };
      },
      [],
      join(host.vars.MARKERS, 'started'),
    );
    expect(seen).toEqual([undefined, `${config}.alongside.json`]);
    expect(existsSync(join(host.vars.MARKERS, 'alongside-exited'))).toBe(true);
    expect(r.stdout).toContain('[tc-kit] a second worker ran alongside (exit 68, signal null)');
  });
});

describe('invariant checkers', () => {
  const claim = (taskId: string, runId: number, token: string) => ({
    seq: 1,
    time: '',
    durationMs: 1,
    service: 'queue' as const,
    method: 'POST',
    path: '/claim-work',
    route: 'claimWork',
    clientId: 'worker',
    status: 200,
    request: {},
    response: { body: { tasks: [{ status: { taskId }, runId, credentials: { accessToken: token } }] } },
  });
  const report = (taskId: string, status: number) => ({
    ...claim(taskId, 0, 'x'),
    seq: 2,
    route: 'reportCompleted',
    taskId,
    runId: 0,
    status,
    response: {},
  });
  const task = (state: string, reasonResolved?: string) => ({
    definition: {},
    status: { runs: [{ state, reasonResolved }] },
    artifacts: [],
  });

  it('resolved-once: never resolved and resolved twice fail; a run the Queue expired passes', () => {
    const t = claim('T', 0, 'tok-aaaaaaaaaaaa');
    expect(resolvedOnce(obs({ trace: [t], tasks: { T: task('running') } }), c)?.ok).toBe(false);
    expect(
      resolvedOnce(obs({ trace: [t, report('T', 200), report('T', 200)], tasks: { T: task('completed') } }), c)?.ok,
    ).toBe(false);
    expect(resolvedOnce(obs({ trace: [t, report('T', 200)], tasks: { T: task('completed') } }), c)?.ok).toBe(true);
    expect(resolvedOnce(obs({ trace: [t], tasks: { T: task('exception', 'claim-expired') } }), c)?.ok).toBe(true);
  });

  it('no-secret-leak: finds the temporary token, the config token and the sentinel, naming what leaked', () => {
    const h = {
      leftover: [],
      processScan: 'environ' as const,
      escapes: [],
      tampered: [],
      sentinel: 'TC-KIT-SENTINEL-abc123',
      taskDirs: [],
    };
    const t = claim('T', 0, 'temporary-token-0123456789');
    const base = { trace: [t], config: { accessToken: 'permanent-token-abcdef' }, host: h };
    expect(noSecretLeak(obs({ ...base, tasks: { T: { ...task('completed'), log: 'all fine' } } }), c)?.ok).toBe(true);
    for (const [leak, what] of [
      ['temporary-token-0123456789', 'temporary access token'],
      ['permanent-token-abcdef', 'config accessToken'],
      ['TC-KIT-SENTINEL-abc123', 'sentinel'],
    ]) {
      const r = noSecretLeak(obs({ ...base, tasks: { T: { ...task('completed'), log: `x ${leak} y` } } }), c);
      expect(r?.ok).toBe(false);
      expect(r?.message).toContain(what);
      expect(r?.message).not.toContain(leak);
    }
    const art = { runId: 0, name: 'public/a', storageType: 's3', body: Buffer.from('TC-KIT-SENTINEL-abc123') };
    expect(noSecretLeak(obs({ ...base, tasks: { T: { ...task('completed'), artifacts: [art] } } }), c)?.ok).toBe(false);
  });
});
