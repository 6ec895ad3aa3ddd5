// The runner's live-log probe (setup.liveLog) against a loopback server it starts itself: it reads
// the reference URL from the trace, streams it, marks the moment the marker arrived and creates the
// touch file then; it never fetches a URL off loopback, and says so when no live log was made.
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveLogProbe, statelessDnsAddress } from '../../conformance/live-log-probe.ts';
import type { TraceEntry } from '../../conformance/types.ts';

const TASK = 'dSlITZ4yQgmvxxAi4A8fHQ';

function made(url: string, storageType = 'reference', name = 'public/logs/live.log'): TraceEntry {
  return {
    seq: 1,
    time: new Date().toISOString(),
    durationMs: 1,
    service: 'queue',
    method: 'POST',
    path: `/api/queue/v1/task/${TASK}/runs/0/artifacts/${encodeURIComponent(name)}`,
    route: 'createArtifact',
    clientId: 'task-client',
    taskId: TASK,
    runId: 0,
    status: 200,
    request: { body: { storageType, url, contentType: 'text/plain; charset=utf-8' } },
    response: {},
  };
}

describe('LiveLogProbe', () => {
  let server: Server;
  let base = '';
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tc-kit-probe-'));
    // Streams a first line, then the marker only once asked to go on (or after 5 s at most).
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first line\n');
      const t = setTimeout(() => res.end('marker-42\nlast\n'), req.url === '/slow' ? 5000 : 200);
      res.on('close', () => clearTimeout(t));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  });

  const probe = (trace: TraceEntry[], touch = 'seen') =>
    new LiveLogProbe({
      setup: { until: 'marker-42', touch },
      workDir: dir,
      taskId: TASK,
      name: 'public/logs/live.log',
      trace: () => trace,
    });

  it('streams the reference URL, notes when the marker came and creates the touch file', async () => {
    const trace: TraceEntry[] = [];
    const p = probe(trace, 'seen-1');
    p.start();
    trace.push(made(`${base}/log`));
    for (let i = 0; i < 100 && !existsSync(join(dir, 'seen-1')); i++) await new Promise((r) => setTimeout(r, 50));
    const r = await p.finish();
    expect(r.url).toBe(`${base}/log`);
    expect(r.status).toBe(200);
    expect(r.text).toBe('first line\nmarker-42\nlast\n');
    expect(r.seenAt).toBeDefined();
    expect(existsSync(join(dir, 'seen-1'))).toBe(true);
    expect(r.error).toBeUndefined();
  });

  it('has no seenAt when the worker exits before the marker arrives', async () => {
    const trace = [made(`${base}/slow`)];
    const p = probe(trace, 'seen-2');
    p.start();
    await new Promise((r) => setTimeout(r, 400));
    const r = await p.finish();
    expect(r.text).toBe('first line\n');
    expect(r.seenAt).toBeUndefined();
    expect(existsSync(join(dir, 'seen-2'))).toBe(false);
  });

  it('never fetches a URL off loopback, and says when there was no reference live log', async () => {
    const off = await probe([made('http://192.0.2.1:60023/log/x')]).finish();
    expect(off.error).toMatch(/not on loopback/);
    expect(off.text).toBe('');
    const link = await probe([made(`${base}/log`, 'link')]).finish();
    expect(link.url).toBeUndefined();
    expect(link.error).toMatch(/no reference artifact public\/logs\/live\.log/);
  });
});

// A host name as stateless-dns-go hostname.New makes it (11.0.1's live log URL), encoded here by
// RFC 4648 base32 of ip ‖ expires ‖ salt ‖ HMAC-SHA256(secret)[:16].
function statelessName(ip: number[], secret: string): string {
  const content = Buffer.alloc(14);
  Buffer.from(ip).copy(content, 0);
  content.writeBigInt64BE(BigInt(Date.now() + 60_000), 4);
  content.writeUInt16BE(0x1234, 12);
  const all = Buffer.concat([content, createHmac('sha256', secret).update(content).digest().subarray(0, 16)]);
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of all) bits += b.toString(2).padStart(8, '0');
  let label = '';
  for (let i = 0; i < bits.length; i += 5) label += A[Number.parseInt(bits.slice(i, i + 5), 2)];
  return `${label.toLowerCase()}.taskcluster-worker.net`;
}

describe('stateless DNS names (11.0.1 live log URLs)', () => {
  it('resolve to the address they encode when signed with the worker secret', () => {
    const name = statelessName([127, 0, 0, 1], 'tc-kit-livelog-secret');
    expect(statelessDnsAddress(name, 'tc-kit-livelog-secret')).toBe('127.0.0.1');
  });
  it('resolve to nothing with another secret, a tampered label or no secret', () => {
    const name = statelessName([127, 0, 0, 1], 'tc-kit-livelog-secret');
    expect(statelessDnsAddress(name, 'other')).toBeUndefined();
    expect(statelessDnsAddress(`b${name.slice(1)}`, 'tc-kit-livelog-secret')).toBeUndefined();
    expect(statelessDnsAddress(name, undefined)).toBeUndefined();
    expect(statelessDnsAddress('example.com', 'tc-kit-livelog-secret')).toBeUndefined();
  });
});
