// Benchmark 3: claimWork + reclaimTask round trips per second against the mock Queue over loopback, made
// with taskcluster-client the way the worker makes them (permanent credentials for claimWork, the claim's
// temporary credentials for reclaimTask), vs the very same loop against a trivial node:http server that
// answers every request with its own JSON body. The ratio shows what the mock's routing, Hawk checks,
// schema validation, state machine and trace cost per call.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import taskcluster from 'taskcluster-client';
import { startMockServices } from '../mocks/index.ts';
import { type BenchOptions, type BenchResult, PROVISIONER, createTask, round } from './common.ts';

interface Creds {
  clientId: string;
  accessToken: string;
  certificate?: string;
}

async function echoServer(): Promise<{ rootUrl: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? Buffer.concat(chunks) : Buffer.from('{}');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { rootUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * `pairs` iterations of claimWork(1 task) then reclaimTask of what was claimed; the echo server's answers
 * carry no task, so a fixed id and the permanent credentials stand in there (the client does the same work).
 */
async function loop(rootUrl: string, creds: Creds, taskQueueId: string, pairs: number): Promise<number> {
  const queue = new taskcluster.Queue({ rootUrl, credentials: creds, retries: 0 });
  const fallbackId = taskcluster.slugid();
  const t0 = performance.now();
  for (let i = 0; i < pairs; i++) {
    const claim = await queue.claimWork(taskQueueId, { tasks: 1, workerGroup: 'bench', workerId: 'roundtrip' });
    const t = claim.tasks?.[0];
    const runQueue = new taskcluster.Queue({ rootUrl, credentials: t?.credentials ?? creds, retries: 0 });
    await runQueue.reclaimTask(t?.status.taskId ?? fallbackId, String(t?.runId ?? 0));
  }
  return performance.now() - t0;
}

export async function queueRoundtrip(opts: BenchOptions): Promise<BenchResult> {
  const pairs = opts.quick ? 40 : 400;
  const warmup = 10;
  const mock = await startMockServices({ claimTimeoutSeconds: 1200, longPollMs: 200 });
  const echo = await echoServer();
  try {
    const admin = new taskcluster.Queue({ rootUrl: mock.rootUrl, credentials: mock.admin, retries: 0 });
    const workerType = `rt-${process.pid}`;
    opts.log(`queue-roundtrip: creating ${pairs + warmup} tasks`);
    for (let i = 0; i < pairs + warmup; i++)
      await createTask(admin, workerType, { command: [['true']], maxRunTime: 60 });
    const tq = `${PROVISIONER}/${workerType}`;
    opts.log(`queue-roundtrip: ${pairs} claimWork+reclaimTask pairs each, echo and mock interleaved`);
    await loop(echo.rootUrl, mock.admin, tq, warmup);
    await loop(mock.rootUrl, mock.admin, tq, warmup);
    const seq = mock.trace.last();
    // Interleaved rounds (alternating which goes first), so load from other work hits both sides alike.
    const chunk = opts.quick ? pairs : 50;
    let echoMs = 0;
    let mockMs = 0;
    for (let done = 0, i = 0; done < pairs; done += chunk, i++) {
      const n = Math.min(chunk, pairs - done);
      if (i % 2 === 0) {
        echoMs += await loop(echo.rootUrl, mock.admin, tq, n);
        mockMs += await loop(mock.rootUrl, mock.admin, tq, n);
      } else {
        mockMs += await loop(mock.rootUrl, mock.admin, tq, n);
        echoMs += await loop(echo.rootUrl, mock.admin, tq, n);
      }
    }
    // Every timed call must have been a success on the mock, or the rate would flatter it.
    const calls = mock.trace.since(seq);
    const ok = calls.filter((e) => (e.route === 'claimWork' || e.route === 'reclaimTask') && e.status === 200);
    const claimed = calls.filter((e) => e.route === 'claimWork' && (e.response.body as any)?.tasks?.length === 1);
    if (ok.length !== 2 * pairs || claimed.length !== pairs) {
      throw new Error(
        `mock answered ${ok.length}/${2 * pairs} calls with 200, ${claimed.length}/${pairs} claims got a task`,
      );
    }
    const rate = (ms: number) => round((2 * pairs) / (ms / 1000), 1);
    return {
      name: 'queue-roundtrip',
      description:
        'taskcluster-client claimWork + reclaimTask (temporary credentials) against the mock Queue vs the same loop against a node:http JSON echo server',
      metric: 'calls per second, mock / echo',
      ratio: round(rate(mockMs) / rate(echoMs), 3),
      baseline: { calls: 2 * pairs, ms: round(echoMs, 1), callsPerSec: rate(echoMs) },
      subject: {
        calls: 2 * pairs,
        ms: round(mockMs, 1),
        callsPerSec: rate(mockMs),
        pairsPerSec: round(pairs / (mockMs / 1000), 1),
      },
    };
  } finally {
    echo.server.close();
    echo.server.closeAllConnections();
    await mock.close();
  }
}
