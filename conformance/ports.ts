// Loopback ports for a worker's own listeners (live log, proxy, interactive). Workers in parallel
// lanes must not share them, and generic-worker uses consecutive ports from one base, so the
// runner hands each case a block of consecutive ports it found free.
import { createServer } from 'node:net';

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

const taken = new Set<number>();

/** `count` consecutive free ports (bounded tries); ports handed out in this process are not reused. */
export async function freePortBlock(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    // Below Linux's ephemeral range (32768+), so port-0 listeners elsewhere cannot take them meanwhile.
    const base = 20000 + Math.floor(Math.random() * 12000);
    const block = Array.from({ length: count }, (_, i) => base + i);
    if (block.some((p) => taken.has(p))) continue;
    let ok = true;
    for (const p of block) {
      if (!(await tryListen(p))) {
        ok = false;
        break;
      }
    }
    if (ok) {
      for (const p of block) taken.add(p);
      return block;
    }
  }
  throw new Error(`no block of ${count} free consecutive loopback ports found`);
}

export function releasePorts(block: number[]): void {
  for (const p of block) taken.delete(p);
}
