// Benchmark 8: what each way of making the worker's Taskcluster calls costs a fresh process, the measurement
// behind decisions/0004-start-up-cost.md. Each candidate runs in its own `node` (the worker's V8 settings:
// TurboFan off) and makes one Hawk-signed claimWork POST to a loopback JSON server; the figures are the time
// from process start to the answer and VmRSS 2 s later. Baseline: the same POST with node:http and no
// signing (the least any Node client can cost). Candidates: taskcluster-client's Queue (there are no
// per-service entry points: one module builds every service's client from one 225 kB reference), hawk with
// undici, with fetch, with node:http imported as an ES module, and with node:http from getBuiltinModule
// (what reference/queue.ts does), the last also through queue.ts itself.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchOptions, type BenchResult, median, mib, round } from './common.ts';

const kit = fileURLToPath(new URL('..', import.meta.url));

const sign = `const hawk = (await import('hawk')).default;
const auth = (url) => hawk.client.header(url, 'POST', { credentials: { id: 'c', key: 'k', algorithm: 'sha256' } }).header;`;
const httpPost = (http: string) => `await new Promise((ok, no) => {
  const req = ${http}.request(URL_, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' } }, (res) => {
    let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => ok(JSON.parse(b)));
  });
  req.on('error', no); req.end(BODY);
});`;

/** name → module source; URL_, BODY and AUTH are filled in per candidate. */
const CANDIDATES: Record<string, string> = {
  'node:http, unsigned (baseline)': `const http = process.getBuiltinModule('node:http'); const AUTH = 'none';
${httpPost('http')}`,
  'taskcluster-client Queue': `const tc = (await import('taskcluster-client')).default;
const q = new tc.Queue({ rootUrl: ROOT, credentials: { clientId: 'c', accessToken: 'k' }, retries: 0 });
await q.claimWork('p/w', JSON.parse(BODY));`,
  'hawk + undici': `${sign}
const { request } = await import('undici');
const res = await request(URL_, { method: 'POST', headers: { authorization: auth(URL_), 'content-type': 'application/json' }, body: BODY });
await res.body.json();`,
  'hawk + fetch': `${sign}
const res = await fetch(URL_, { method: 'POST', headers: { authorization: auth(URL_), 'content-type': 'application/json' }, body: BODY });
await res.json();`,
  'hawk + node:http (ES import)': `${sign}
const http = await import('node:http'); const AUTH = auth(URL_);
${httpPost('http')}`,
  'hawk + node:http (getBuiltinModule)': `${sign}
const http = process.getBuiltinModule('node:http'); const AUTH = auth(URL_);
${httpPost('http')}`,
  // Through the bin's strip cache, as the worker loads it (otherwise amaro would be the figure).
  'reference/queue.ts': `await import(${JSON.stringify(join(kit, 'bin/ts-cache.js'))});
const { newQueue } = await import(${JSON.stringify(join(kit, 'reference/queue.ts'))});
await newQueue(ROOT, { clientId: 'c', accessToken: 'k' }).claimWork('p/w', JSON.parse(BODY));`,
};

interface Figures {
  answerMs: number;
  rssMiB: number | null;
}

async function measure(dir: string, name: string, source: string, root: string): Promise<Figures> {
  const url = `${root}/api/queue/v1/claim-work/p%2Fw`;
  const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.mjs`);
  writeFileSync(
    file,
    `import { setFlagsFromString } from 'node:v8';
import { readFileSync } from 'node:fs';
setFlagsFromString('--no-opt'); setFlagsFromString('--semi-space-growth-factor=1');
const ROOT = ${JSON.stringify(root)}, URL_ = ${JSON.stringify(url)}, BODY = '{"tasks":1,"workerGroup":"g","workerId":"w"}';
${source}
const answerMs = performance.now();
setTimeout(() => {
  const m = /^VmRSS:\\s+(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  process.stdout.write(JSON.stringify({ answerMs, rss: m ? Number(m[1]) * 1024 : null }));
}, 2000);
`,
  );
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (err += b));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`client-cost ${name}: exit ${code}: ${err.trim().slice(-800)}`);
  const r = JSON.parse(out) as { answerMs: number; rss: number | null };
  return { answerMs: r.answerMs, rssMiB: mib(r.rss) };
}

export async function clientCost(opts: BenchOptions): Promise<BenchResult> {
  if (process.platform !== 'linux') throw new Error('client-cost reads /proc/self/status (Linux only)');
  // The scripts live under the kit's node_modules/.cache so that their bare imports resolve to the kit's packages.
  const cache = join(kit, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'tc-bench-client-'));
  const tmp = { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"tasks":[]}'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const rounds = opts.quick ? 1 : 3;
    const all = new Map<string, Figures[]>(Object.keys(CANDIDATES).map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, source] of Object.entries(CANDIDATES)) {
        opts.log(`client-cost: ${name} (round ${r + 1}/${rounds})`);
        all.get(name)!.push(await measure(tmp.dir, name, source, root));
      }
    }
    const figures = Object.fromEntries(
      [...all].map(([name, f]) => [
        name,
        {
          answerMs: round(median(f.map((x) => x.answerMs)), 1),
          rssMiB: round(median(f.map((x) => x.rssMiB ?? Number.NaN)), 1),
        },
      ]),
    );
    const base = figures['node:http, unsigned (baseline)']!;
    const chosen = figures['reference/queue.ts']!;
    return {
      name: 'client-cost',
      description:
        'one Hawk-signed claimWork from a fresh node process per client candidate; time to the answer and VmRSS 2 s later',
      metric: 'RSS of a process that made one call, reference/queue.ts / unsigned node:http',
      ratio: round(chosen.rssMiB / base.rssMiB, 3),
      baseline: base,
      subject: chosen,
      candidates: figures,
    };
  } finally {
    server.closeAllConnections();
    server.close();
    tmp.remove();
  }
}
