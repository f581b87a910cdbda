import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of the utime/stime fields in /proc/<pid>/stat (almost always 100). */
const clockTicks = (() => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** User and system CPU seconds a process (all its threads) has used so far. */
export interface CpuTime {
  user: number;
  system: number;
}

export function cpuTime(pid: number | 'self'): CpuTime {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (field 14) is fields[11] and stime (field 15) fields[12].
  return { user: Number(fields[11]) / clockTicks, system: Number(fields[12]) / clockTicks };
}

export function cpuSeconds(time: CpuTime): number {
  return time.user + time.system;
}

export interface MemoryUsage {
  /** Resident set size now. */
  rssBytes: number;
  /** Peak resident set size ("high water mark"). */
  peakRssBytes: number;
}

export function memoryUsage(pid: number | 'self'): MemoryUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  };
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** Whole-machine CPU time from /proc/stat, in ticks: to tell how busy all cores were over a window. */
export interface MachineCpu {
  busy: number;
  /** Time the hypervisor gave this machine's vCPUs to someone else (a shared host). */
  steal: number;
  total: number;
}

export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks;
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

/** Fractions of all cores' time that were busy, and stolen, between two readings. */
export function machineLoad(before: MachineCpu, after: MachineCpu): { busy: number; steal: number } {
  const total = after.total - before.total;
  if (total <= 0) return { busy: 0, steal: 0 };
  return { busy: (after.busy - before.busy) / total, steal: (after.steal - before.steal) / total };
}
