/** What the bench reads of a process from /proc (Linux, the machine the figures are taken on). */
import { readFileSync } from 'node:fs';

/** Resident memory of `pid` in MiB (NaN when it is unknown). */
export const rssMiBOf = (pid: number | undefined): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** CPU seconds (user + system) `pid` has used. */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
