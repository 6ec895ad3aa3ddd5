// Memory readings: each OS's source format parsed to the same figures, and the real /proc/meminfo on Linux.
import { describe, expect, it } from 'vitest';
import {
  DARWIN_MEMSIZE_COMMAND,
  DARWIN_VM_STAT_COMMAND,
  darwinMemory,
  formatMemory,
  linuxMemory,
  parseMeminfo,
  parseVmStat,
  parseWindowsMemory,
  WINDOWS_MEMORY_COMMAND,
  windowsMemory,
} from './memory.ts';

const MEMINFO = `MemTotal:       24683568 kB
MemFree:        22625644 kB
MemAvailable:   23855140 kB
Buffers:          102400 kB
Cached:          1200000 kB
SReclaimable:     100000 kB
HugePages_Total:       0
`;

const VM_STAT = `Mach Virtual Memory Statistics: (page size of 16384 bytes)
Pages free:                                3000.
Pages active:                            200000.
Pages inactive:                           97000.
Pages speculative:                         1200.
Pages wired down:                         90000.
"Translation faults":                 123456789.
`;

describe('memory readings', () => {
  it('Linux: MemAvailable is available, used is the rest', () => {
    const r = parseMeminfo(MEMINFO);
    expect(r.totalBytes).toBe(24683568 * 1024);
    expect(r.availableBytes).toBe(23855140 * 1024);
    expect(r.usedBytes).toBe((24683568 - 23855140) * 1024);
    expect(r.usedPercent).toBeCloseTo(((24683568 - 23855140) / 24683568) * 100, 6);
  });

  it('Linux before 3.14: free + page cache + buffers', () => {
    const r = parseMeminfo(MEMINFO.replace(/^MemAvailable.*\n/m, ''));
    expect(r.availableBytes).toBe((22625644 + 1200000 + 100000 + 102400) * 1024);
  });

  it('Linux: no MemTotal is an error, not a guess', () => {
    expect(() => parseMeminfo('MemFree: 1 kB\n')).toThrow(/MemTotal/);
  });

  it.skipIf(process.platform !== 'linux')('Linux: reads this machine', async () => {
    const r = await linuxMemory();
    expect(r.totalBytes).toBeGreaterThan(0);
    expect(r.availableBytes).toBeLessThanOrEqual(r.totalBytes);
    expect(r.usedPercent).toBeGreaterThan(0);
    expect(r.usedPercent).toBeLessThan(100);
  });

  it('macOS: (free + inactive) pages × page size of hw.memsize', async () => {
    const r = parseVmStat(VM_STAT, '17179869184\n');
    expect(r.totalBytes).toBe(17179869184);
    expect(r.availableBytes).toBe((3000 + 97000) * 16384);
    const calls: string[][] = [];
    const viaCommands = await darwinMemory(async (argv) => {
      calls.push(argv);
      return { exitCode: 0, stdout: argv === DARWIN_VM_STAT_COMMAND ? VM_STAT : '17179869184\n', stderr: '' };
    });
    expect(calls).toEqual([DARWIN_MEMSIZE_COMMAND, DARWIN_VM_STAT_COMMAND]);
    expect(viaCommands).toEqual(r);
  });

  it('macOS: a failing command is an error naming it', async () => {
    await expect(
      darwinMemory(async (argv) => ({ exitCode: argv === DARWIN_VM_STAT_COMMAND ? 1 : 0, stdout: '1', stderr: 'no' })),
    ).rejects.toThrow(/vm_stat exited 1/);
  });

  it('Windows: TotalVisibleMemorySize and FreePhysicalMemory in KiB', async () => {
    const r = parseWindowsMemory('16776760 9123456\r\n');
    expect(r.totalBytes).toBe(16776760 * 1024);
    expect(r.availableBytes).toBe(9123456 * 1024);
    const viaCommand = await windowsMemory(async (argv) => {
      expect(argv).toEqual(WINDOWS_MEMORY_COMMAND);
      return { exitCode: 0, stdout: '16776760 9123456\r\n', stderr: '' };
    });
    expect(viaCommand).toEqual(r);
    expect(() => parseWindowsMemory('Get-CimInstance : Access denied')).toThrow(/unexpected memory reading/);
  });

  it("formats sizes as generic-worker's FormatMemoryString", () => {
    expect(formatMemory(512)).toBe('512.000000 B');
    expect(formatMemory(524288000)).toBe('500.00 MiB');
    expect(formatMemory(1e15)).toBe('931322.57 GiB');
    expect(formatMemory(2048)).toBe('2.00 KiB');
  });
});
