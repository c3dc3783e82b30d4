import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { MachineInfo } from './report/table-report';

/** Describes this machine for a report. */
export function machineInfo(backend: string): MachineInfo {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown CPU',
    cores: cores.length,
    memoryGiB: totalmem() / 2 ** 30,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.versions.node,
    backend,
    loadAverage: loadavg(),
  };
}

/** The command line that started this process, as a user would type it. */
export function commandLine(): string {
  const args = process.argv.slice(2).join(' ');
  return `pnpm --filter cnm-bench cli ${args}`.trim();
}
