import { readdirSync, readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

/** Peak resident memory (VmHWM) of a process in MB, from /proc. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** Resident anonymous memory now (heap, buffers), without file-backed pages such as mmapped LevelDB tables. */
export function anonRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** Samples anonymous RSS once a second (Linux keeps no high-water mark for it). */
export class AnonPeaks {
  readonly peaks = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(pids: number[]) {
    const sample = () => {
      for (const pid of pids) {
        try {
          this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, anonRssMb(pid)));
        } catch {
          /* the process is gone */
        }
      }
    };
    sample();
    this.timer = setInterval(sample, 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** The process itself, or the program it runs under the watchdog (its only child). */
export function leafPid(pid: number): number {
  try {
    const children = readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
    return children.length === 1 ? leafPid(Number(children[0])) : pid;
  } catch {
    return pid;
  }
}
