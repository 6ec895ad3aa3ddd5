// System memory readings for the resource monitor, one way per OS, with the meaning generic-worker's
// gopsutil readings have (mem.VirtualMemory): `available` is what the kernel can hand out without
// swapping, `used` = total - available, `usedPercent` = used / total. The parsers are pure so the
// macOS and Windows forms are tested on Linux against their commands' real output formats.
import { readFile } from 'node:fs/promises';

export interface MemoryReading {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
  usedPercent: number;
}

/** Runs an argv without a shell; what a platform's command runner returns. */
export type RunCommand = (argv: string[]) => Promise<{ exitCode: number | null; stdout: string; stderr: string }>;

export function reading(totalBytes: number, availableBytes: number): MemoryReading {
  if (!Number.isFinite(totalBytes) || totalBytes <= 0) throw new Error(`total memory ${totalBytes} is not positive`);
  const available = Math.min(Math.max(availableBytes, 0), totalBytes);
  const usedBytes = totalBytes - available;
  return { totalBytes, availableBytes: available, usedBytes, usedPercent: (usedBytes / totalBytes) * 100 };
}

/**
 * Linux /proc/meminfo (values in kB). MemAvailable exists since Linux 3.14; before it, the estimate
 * gopsutil falls back to is free + page cache (Cached, SReclaimable) + buffers.
 */
export function parseMeminfo(text: string): MemoryReading {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (m) kb.set(m[1]!, Number(m[2]));
  }
  const total = kb.get('MemTotal');
  if (total === undefined) throw new Error('/proc/meminfo has no MemTotal line');
  const available =
    kb.get('MemAvailable') ??
    (kb.get('MemFree') ?? 0) + (kb.get('Cached') ?? 0) + (kb.get('SReclaimable') ?? 0) + (kb.get('Buffers') ?? 0);
  return reading(total * 1024, available * 1024);
}

export async function linuxMemory(meminfo = '/proc/meminfo'): Promise<MemoryReading> {
  return parseMeminfo(await readFile(meminfo, 'utf8'));
}

export const DARWIN_MEMSIZE_COMMAND = ['/usr/sbin/sysctl', '-n', 'hw.memsize'];
export const DARWIN_VM_STAT_COMMAND = ['/usr/bin/vm_stat'];

/**
 * macOS: total from `sysctl -n hw.memsize` (bytes), available = (free + inactive pages) × page size
 * from `vm_stat`, as gopsutil computes it from host_statistics.
 */
export function parseVmStat(vmStat: string, memsize: string): MemoryReading {
  const pageSize = Number(/page size of (\d+) bytes/.exec(vmStat)?.[1]);
  if (!pageSize) throw new Error('vm_stat output names no page size');
  const pages = (label: string): number => {
    const m = new RegExp(`^${label}:\\s+(\\d+)\\.?\\s*$`, 'm').exec(vmStat);
    if (!m) throw new Error(`vm_stat output has no "${label}" line`);
    return Number(m[1]);
  };
  const total = Number(memsize.trim());
  return reading(total, (pages('Pages free') + pages('Pages inactive')) * pageSize);
}

export async function darwinMemory(run: RunCommand): Promise<MemoryReading> {
  const [memsize, vmStat] = await Promise.all([run(DARWIN_MEMSIZE_COMMAND), run(DARWIN_VM_STAT_COMMAND)]);
  for (const [argv, r] of [
    [DARWIN_MEMSIZE_COMMAND, memsize],
    [DARWIN_VM_STAT_COMMAND, vmStat],
  ] as const) {
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${r.exitCode}: ${r.stderr.trim()}`);
  }
  return parseVmStat(vmStat.stdout, memsize.stdout);
}

/**
 * Windows: Win32_OperatingSystem's TotalVisibleMemorySize and FreePhysicalMemory (KiB), the same
 * figures GlobalMemoryStatusEx returns as ullTotalPhys and ullAvailPhys. Node cannot call the Win32
 * API itself, so a PowerShell process reads them (one per sample: the monitor's period on Windows is
 * that process's start-up time plus the interval).
 */
export const WINDOWS_MEMORY_COMMAND = [
  'powershell.exe',
  '-NoLogo',
  '-NoProfile',
  '-NonInteractive',
  '-Command',
  '$o = Get-CimInstance -ClassName Win32_OperatingSystem; "$($o.TotalVisibleMemorySize) $($o.FreePhysicalMemory)"',
];

export function parseWindowsMemory(stdout: string): MemoryReading {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(stdout);
  if (!m) throw new Error(`unexpected memory reading ${JSON.stringify(stdout.trim().slice(0, 80))}`);
  return reading(Number(m[1]) * 1024, Number(m[2]) * 1024);
}

export async function windowsMemory(run: RunCommand): Promise<MemoryReading> {
  const r = await run(WINDOWS_MEMORY_COMMAND);
  if (r.exitCode !== 0) throw new Error(`reading memory through PowerShell exited ${r.exitCode}: ${r.stderr.trim()}`);
  return parseWindowsMemory(r.stdout);
}

/** generic-worker's memory text (process.FormatMemoryString): B, KiB, MiB or GiB with two decimals. */
export function formatMemory(bytes: number): string {
  if (bytes < 1024) return `${bytes.toFixed(6)} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(2)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
