// End to end: a batch of generated tasks on the mock Queue (loopback), one real worker process serving the whole
// batch (numberOfTasksToRun = batch size, so start-up does not dominate), then each run judged against the oracle.
// Used for the reference worker (tc-worker) and, in the differential run, generic-worker.
import { generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { tarBuffer, zipBuffer } from '../../reference/mounts/test-archives.ts';
import {
  fetchArtifact,
  type Harness,
  lastRun,
  listArtifacts,
  PROVISIONER,
  startHarness,
} from '../reference/harness.ts';
import { type Case, type GenOptions, sha256, stratified } from './generators.ts';
import { type Broken, judge, type Verdict, type WorkerFacts } from './oracle.ts';

export const INSIDE = 'kit/inside.txt';
const insideBytes = Buffer.from('inside the archive\n');

/** Archives the mock serves, one per format this test can make, each holding kit/inside.txt. */
export function servedFiles(): Record<string, Buffer> {
  const tar = tarBuffer([{ name: INSIDE, content: insideBytes.toString() }]);
  return {
    tar,
    'tar.gz': zlib.gzipSync(tar),
    zip: zipBuffer([{ name: INSIDE, content: insideBytes.toString() }]),
    file: Buffer.from('a served file\n'),
  };
}

export interface Env {
  h: Harness;
  gen: GenOptions;
  keyFile: string;
  userGroups: string[];
  userName: string;
}

export async function startEnv(t0: number): Promise<Env> {
  const files = servedFiles();
  const h = await startHarness({ files: Object.fromEntries(Object.entries(files).map(([f, b]) => [`kit.${f}`, b])) });
  const base = `${h.mock.rootUrl}/fixture-files`;
  const served = Object.fromEntries(Object.entries(files).map(([f, b]) => [f, { url: `${base}/kit.${f}`, bytes: b }]));
  const userName = userInfo().username;
  const userGroups = execFileSync('id', ['-Gn'], { encoding: 'utf8' }).trim().split(/\s+/);
  const ed = generateKeyPairSync('ed25519');
  const der = ed.privateKey.export({ type: 'pkcs8', format: 'der' });
  const keyFile = join(h.dir, 'ed25519.key');
  writeFileSync(keyFile, der.subarray(der.length - 32).toString('base64'), { mode: 0o600 });
  const gen: GenOptions = {
    os: process.platform === 'darwin' ? 'darwin' : 'linux',
    generation: 'current',
    mode: 'e2e',
    t0,
    provisionerId: PROVISIONER,
    workerType: h.workerType,
    served,
    // Valid osGroups: the user's groups but the one named as the user (the oracle says why).
    userGroups: userGroups.filter((g) => g !== userName),
  };
  return { h, gen, keyFile, userGroups, userName };
}

/** The part of a worker's config the oracle needs to know, drawn per batch. */
export const workerFactsArb = fc.record({
  enableOSGroups: fc.boolean(),
  enableChainOfTrust: fc.boolean(),
});

export function facts(env: Env, f: { enableOSGroups: boolean; enableChainOfTrust: boolean }): WorkerFacts {
  return {
    provisionerId: PROVISIONER,
    workerType: env.h.workerType,
    enableOSGroups: f.enableOSGroups,
    enableTaskclusterProxy: false,
    enableChainOfTrust: f.enableChainOfTrust,
    enableMounts: true,
    userGroups: env.userGroups,
    userName: env.userName,
    tasksRunAsWorkerUser: true,
  };
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The first command of every generated task: creates each artifact path (a file with known content, or a directory
 * with f.txt), then prints the environment and every mount's digest on marker lines. The markers are computed
 * (KIT-%s), so the command text the worker logs before running it can never be mistaken for its output.
 */
export function probe(p: any): string[] {
  const lines = ['set -e'];
  (Array.isArray(p.artifacts) ? p.artifacts : []).forEach((a: any, i: number) => {
    if (typeof a?.path !== 'string' || !/^out\/\d+\/[a-z.]+$/.test(a.path)) return;
    if (a.type === 'directory')
      lines.push(`mkdir -p ${q(a.path)}`, `printf %s ${q(`kit-dir-${i}`)} > ${q(`${a.path}/f.txt`)}`);
    else
      lines.push(`mkdir -p ${q(a.path.replace(/\/[^/]*$/, ''))}`, `printf %s ${q(`kit-artifact-${i}`)} > ${q(a.path)}`);
  });
  lines.push(`printf 'KIT-%s:' ENV; env -0 | base64 | tr -d '\\n'; echo`);
  (Array.isArray(p.mounts) ? p.mounts : []).forEach((m: any, i: number) => {
    // A schema-broken payload may have anything here; only mounts that can be placed are probed.
    if (m === null || typeof m !== 'object') return;
    const target = 'file' in m && !('directory' in m) ? m.file : `${m.directory}/${INSIDE}`;
    if (typeof target !== 'string' || !/^[a-z/.]+$/.test(target)) return;
    lines.push(`printf 'KIT-%s:${i}:' MOUNT; (sha256sum ${q(target)} 2>/dev/null || echo missing) | cut -c1-64`);
  });
  return ['/bin/sh', '-c', lines.join('\n')];
}

/** The payload as sent: the probe first, then the generated commands (the oracle judges this payload). */
export function withProbe(c: Case): Case {
  const p = c.payload;
  if (!p || typeof p !== 'object' || !Array.isArray(p.command) || !p.command.every(Array.isArray)) return c;
  return { ...c, payload: { ...p, command: [probe(p), ...p.command] } };
}

export interface Judged {
  c: Case;
  taskId: string;
  verdict: Verdict;
}

/** How a rule of the feature stage shows in a reference-worker log. */
const FEATURE_LOG: Record<string, RegExp> = {
  'payload.features.disabled-rejected': /it's not enabled on this worker/,
  'payload.schema.max-run-time-bounds': /exceeded allowed maximum/,
  'payload.features.missing-scopes': /requires scopes/,
  'mounts.cache.scope-required': /requires scopes[\s\S]*generic-worker:cache:/,
  'payload.os-groups.unsupported-rejected': /unsupported osGroups/,
  'chain-of-trust.key.not-readable-by-task': /Chain of trust needs tasks to run as a separate task user/,
};

/** Whether the log names one of the broken rules (schema: the JSON path; payload: the rule; feature: its message;
 * upload: the artifact the Queue refused, in the words of generic-worker's artifacts.go). */
export function logNames(log: string, broken: Broken[], payload?: any): boolean {
  return broken.some((b) =>
    b.stage === 'schema'
      ? log.includes(`payload${b.at}`) || (b.at === '' && log.includes('payload/:'))
      : b.stage === 'payload'
        ? log.includes(`(rule ${b.rule})`)
        : b.stage === 'upload'
          ? conflictNamed(log, payload?.artifacts?.[Number(b.at.split('/')[2])]?.name)
          : (FEATURE_LOG[b.rule]?.test(log) ?? false),
  );
}

/** The log says an upload of `name` conflicted with an earlier one of that name. */
export function conflictNamed(log: string, name: string | undefined): boolean {
  return name !== undefined && log.toLowerCase().includes(`conflict uploading artifact ${name.toLowerCase()}`);
}

export function backingName(p: any): string | null {
  if (p?.features?.backingLog === false) return null;
  const n = p?.logs?.backing;
  return typeof n === 'string' && /^[\x20-\x7e]+$/.test(n) ? n : 'public/logs/live_backing.log';
}

function markers(log: string, kind: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of log.matchAll(new RegExp(`^KIT-${kind}:(?:(\\d+):)?(.*)$`, 'gm'))) out.set(m[1] ?? '', m[2]!);
  return out;
}

/** Property 3 for one completed run: env byte for byte, artifacts with their names, types and content, mounts. */
export async function deliveredAsSpecified(env: Env, j: Judged, log: string): Promise<string[]> {
  const { h } = env;
  const p = j.c.payload;
  const problems: string[] = [];
  const envB64 = markers(log, 'ENV').get('');
  if (envB64 === undefined) return ['the probe did not print the environment'];
  const seen = new Map<string, Buffer>();
  for (const entry of Buffer.from(envB64, 'base64').toString('binary').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) seen.set(entry.slice(0, eq), Buffer.from(entry.slice(eq + 1), 'binary'));
  }
  for (const [k, v] of Object.entries((p.env ?? {}) as Record<string, string>)) {
    const got = seen.get(Buffer.from(k, 'utf8').toString('binary'));
    if (!got?.equals(Buffer.from(v, 'utf8')))
      problems.push(
        `env ${JSON.stringify(k)}: task saw ${JSON.stringify(got?.toString('utf8'))}, payload ${JSON.stringify(v)}`,
      );
  }
  const reserved = new Set([
    backingName(p),
    p.features?.liveLog === false ? null : (p.logs?.live ?? 'public/logs/live.log'),
  ]);
  const listed = new Map((await listArtifacts(h, j.taskId)).map((a) => [a.name, a]));
  // Artifacts of one name (compatible duplicates): the name holds one of them, which one is not specified.
  const byName = new Map<string, { i: number; a: any }[]>();
  for (const [i, a] of ((p.artifacts ?? []) as any[]).entries()) {
    const name: string = a.name || a.path;
    if (reserved.has(name)) continue;
    const full = a.type === 'directory' ? `${name}/f.txt` : name;
    byName.set(full, [...(byName.get(full) ?? []), { i, a }]);
  }
  for (const [full, entries] of byName) {
    const got = listed.get(full);
    if (!got) {
      problems.push(`artifact ${JSON.stringify(full)} was not created`);
      continue;
    }
    const body = (await fetchArtifact(h, j.taskId, 0, full)).body?.toString();
    const want = (e: { i: number; a: any }) => (e.a.type === 'directory' ? `kit-dir-${e.i}` : `kit-artifact-${e.i}`);
    const held = entries.find((e) => body === want(e));
    if (!held) {
      problems.push(`artifact ${full}: content ${JSON.stringify(body)}, expected ${entries.map(want).join(' or ')}`);
      continue;
    }
    const a = held.a;
    // Expiry: the payload's; of compatible duplicates, the one uploaded last (its own or a longer one).
    if (a.expires && entries.length === 1 && Date.parse(got.expires) !== Date.parse(a.expires))
      problems.push(`artifact ${full}: expires ${got.expires}, payload ${a.expires}`);
    if (a.contentType && got.contentType !== a.contentType)
      problems.push(`artifact ${full}: contentType ${got.contentType}, payload ${a.contentType}`);
  }
  const mounts = markers(log, 'MOUNT');
  for (const [i, m] of ((p.mounts ?? []) as any[]).entries()) {
    const got = mounts.get(String(i));
    let want: string | undefined;
    if ('file' in m && !('directory' in m)) {
      const c = m.content;
      const bytes =
        typeof c.raw === 'string'
          ? Buffer.from(c.raw)
          : typeof c.base64 === 'string'
            ? Buffer.from(c.base64, 'base64')
            : Object.values(env.gen.served ?? {}).find((s) => s.url === c.url)?.bytes;
      want = bytes ? sha256(bytes) : undefined;
    } else if (!('cacheName' in m)) want = sha256(insideBytes);
    // A writable cache holds what its first use put there, so only read-only directories are compared.
    else continue;
    if (want && got !== want) problems.push(`mount ${i} (${m.file ?? m.directory}): digest ${got}, expected ${want}`);
  }
  return problems;
}

/** Processes whose working directory is below `dir` (Linux /proc; elsewhere none can be seen). */
export function processesIn(dir: string): string[] {
  if (!existsSync('/proc/self/cwd')) return [];
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) out.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** Creates the tasks of a batch (with the probe first, unless `probed`: a replayed payload already has it). */
export async function createAll(env: Env, cases: Case[], w: WorkerFacts, probed = false): Promise<Judged[]> {
  const out: Judged[] = [];
  for (const raw of cases) {
    const c = probed ? raw : withProbe(raw);
    const verdict = judge({ os: env.gen.os, generation: 'current', payload: c.payload, task: c.task, worker: w });
    const taskId = await env.h.createTask(c.payload, {
      deadline: c.task.deadline,
      expires: c.task.expires,
      scopes: c.task.scopes,
      dependencies: c.task.dependencies,
    });
    out.push({ c, taskId, verdict });
  }
  return out;
}

export function batchArb(env: Env, size: number) {
  return fc.tuple(workerFactsArb, fc.array(stratified(env.gen), { minLength: size, maxLength: size }));
}

export async function runState(h: Harness, taskId: string) {
  return lastRun(h, taskId);
}

/** Resolution calls the worker made for a task (status 200 only: those that took effect). */
export function resolutions(h: Harness, taskId: string): string[] {
  return h.mock.trace
    .entries()
    .filter(
      (e) =>
        e.taskId === taskId &&
        e.status === 200 &&
        ['reportCompleted', 'reportFailed', 'reportException'].includes(e.route),
    )
    .map((e) => `${e.route}${e.route === 'reportException' ? `/${(e.request.body as any)?.reason}` : ''}`);
}
