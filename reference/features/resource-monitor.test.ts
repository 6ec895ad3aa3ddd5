// The resource monitor's decision rule (generic-worker process.MonitorResources): both thresholds,
// for longer than allowed, resets when either clears; without OOM protection one warning per episode.
import { describe, expect, it } from 'vitest';
import { reading } from '../platform/memory.ts';
import { goDuration, MemoryWatch, usageLines } from './resource-monitor.ts';

const GiB = 1024 ** 3;
const t = { maxPercent: 90, minAvailableBytes: 0.5 * GiB, allowedMs: 5000, oomProtection: true };
const high = reading(16 * GiB, 0.25 * GiB); // 98% used, 256 MiB available
const busyButRoomy = reading(64 * GiB, 4 * GiB); // 94% used, 4 GiB available: only one threshold
const calm = reading(16 * GiB, 8 * GiB);

describe('MemoryWatch', () => {
  it('aborts only after both thresholds held for longer than allowed', () => {
    const w = new MemoryWatch(t);
    expect(w.add(high, 0)).toBeUndefined();
    expect(w.add(high, 5000)).toBeUndefined(); // exactly the allowed duration is still allowed
    expect(w.add(high, 5001)).toBe('abort');
  });

  it('one threshold alone never aborts', () => {
    const w = new MemoryWatch(t);
    for (let at = 0; at <= 60_000; at += 500) expect(w.add(busyButRoomy, at)).toBeUndefined();
  });

  it('a calm reading restarts the clock', () => {
    const w = new MemoryWatch(t);
    w.add(high, 0);
    w.add(high, 4000);
    w.add(calm, 4500);
    expect(w.add(high, 5500)).toBeUndefined();
    expect(w.add(high, 10_000)).toBeUndefined();
    expect(w.add(high, 10_501)).toBe('abort');
  });

  it('without OOM protection warns once per episode and never aborts', () => {
    const w = new MemoryWatch({ ...t, oomProtection: false });
    w.add(high, 0);
    expect(w.add(high, 6000)).toBe('warn');
    expect(w.add(high, 7000)).toBeUndefined();
    w.add(calm, 8000);
    w.add(high, 9000);
    expect(w.add(high, 15_000)).toBe('warn');
  });

  it('reports averages, peak and total in the result block; nothing without a sample', () => {
    const w = new MemoryWatch(t);
    expect(usageLines(w.usage())).toEqual([]);
    w.add(reading(16 * GiB, 8 * GiB), 0);
    w.add(reading(16 * GiB, 4 * GiB), 500);
    const u = w.usage();
    expect(u).toMatchObject({ samples: 2, averageAvailableBytes: 6 * GiB, averageUsedBytes: 10 * GiB });
    expect(u.peakUsedBytes).toBe(12 * GiB);
    expect(usageLines(u)).toEqual([
      'Average Available System Memory: 6.00 GiB',
      '     Average System Memory Used: 10.00 GiB',
      '        Peak System Memory Used: 12.00 GiB',
      '            Total System Memory: 16.00 GiB',
    ]);
  });
});

describe('goDuration', () => {
  it("prints whole seconds as Go's time.Duration does", () => {
    expect([0, 1, 59, 60, 90, 3600, 5025].map(goDuration)).toEqual([
      '0s',
      '1s',
      '59s',
      '1m0s',
      '1m30s',
      '1h0m0s',
      '1h23m45s',
    ]);
  });
});
