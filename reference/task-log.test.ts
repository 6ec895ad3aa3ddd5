import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskLog } from './task-log.ts';

const dirs: string[] = [];
function fresh(): { log: TaskLog; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tasklog-'));
  dirs.push(dir);
  return { log: new TaskLog(join(dir, 'live_backing.log')), dir };
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('TaskLog.gzipAlong: the log gzipped while it is written', () => {
  it('gzips every byte written, in small and large pieces and across pauses, with the sha256 of the raw log', async () => {
    const { log, dir } = fresh();
    const gz = join(dir, 'log.gz');
    log.gzipAlong(gz);
    log.info('header');
    for (let i = 0; i < 50; i++) log.write(`line ${i}\n`);
    await new Promise((r) => setTimeout(r, 250)); // caught up with less than a chunk new, the follower waits
    log.write(Buffer.alloc(3 * 1024 * 1024 + 17, 'x'));
    log.error('footer');
    log.close();
    const result = await log.gzipped();
    const raw = readFileSync(join(dir, 'live_backing.log'));
    expect(result).toBeDefined();
    expect(result!.rawSize).toBe(raw.length);
    expect(result!.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(gunzipSync(readFileSync(gz)).equals(raw)).toBe(true);
    expect(result!.size).toBe(readFileSync(gz).length);
    log.dispose();
    expect(existsSync(gz)).toBe(false); // the scratch copy goes with the log
  });

  it('offers no gzip when the scratch file cannot be made, so the upload compresses the log itself', async () => {
    const { log, dir } = fresh();
    log.gzipAlong(join(dir, 'no-such-dir', 'log.gz'));
    log.write('some output\n');
    log.close();
    expect(await log.gzipped()).toBeUndefined();
    log.dispose();
  });

  it('stops when the log is disposed before it was closed, and leaves no scratch file', async () => {
    const { log, dir } = fresh();
    const gz = join(dir, 'log.gz');
    log.gzipAlong(gz);
    log.write(Buffer.alloc(2 * 1024 * 1024, 'y'));
    log.dispose();
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(gz)).toBe(false);
  });

  it('refuses to answer before the log is closed', async () => {
    const { log, dir } = fresh();
    log.gzipAlong(join(dir, 'log.gz'));
    await expect(log.gzipped()).rejects.toThrow(/still open/);
    log.dispose();
  });
});
