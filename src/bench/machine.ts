/** What a benchmark ran on, recorded with every result. */
import { readFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import * as ort from 'onnxruntime-node';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  onnxruntime: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
    onnxruntime: ort.env.versions.node ?? ort.env.versions.common,
    date: new Date().toISOString(),
  };
}

export function machineLine(m: MachineInfo): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, onnxruntime-node ${m.onnxruntime}, ${m.date}`;
}

export interface PeakFlops {
  /** fp32 lanes per vector register the CPU has (AVX-512: 16, AVX2: 8, SSE: 4) */
  lanes: number;
  /** FMA pipes per core at that width */
  fmaPipes: number;
  /** the clock the peak uses: measured where it could be (measuredGhz), else /proc/cpuinfo's */
  ghz: number;
  /** what /proc/cpuinfo reports (under a hypervisor: the nominal clock; boost is not visible) */
  cpuinfoGhz: number;
  /** the running clock measured on every core at once (native clockGHz), when it was */
  measuredGhz?: number;
  cores: number;
  /** cores × GHz × lanes × pipes × 2 (an FMA is two FLOPs) */
  gflops: number;
  /** how the numbers were derived */
  basis: string;
}

/**
 * The CPU's fp32 peak from /proc/cpuinfo (x86 Linux; null elsewhere). Zen 4 has AVX-512 on 256-bit
 * datapaths (two pipes of 8 lanes), Zen 5 (family 26) full 512-bit pipes; Zen 2/3 and Intel since
 * Haswell two 256-bit FMA pipes.
 */
export function peakFlops(cpuinfo?: string, measuredGhz?: number): PeakFlops | null {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return null;
    }
  }
  const first = text.split('\n\n')[0];
  const field = (k: string) => new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(first)?.[1]?.trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const mhz = Number(field('cpu MHz'));
  const family = Number(field('cpu family'));
  const vendor = field('vendor_id') ?? '';
  if (!Number.isFinite(mhz) || mhz <= 0 || !flags.size) return null;
  const cores = text.split('\n').filter((l) => /^processor\s*:/.test(l)).length || cpus().length;
  const amd = vendor === 'AuthenticAMD';
  let lanes: number;
  let fmaPipes: number;
  let isa: string;
  if (flags.has('avx512f')) {
    // Zen 4 executes 512-bit ops on 256-bit units: the peak is that of 16 lanes × 1
    [lanes, fmaPipes, isa] = amd && family < 26 ? [16, 1, 'AVX-512 on 256-bit units (Zen 4)'] : [16, 2, 'AVX-512, two 512-bit FMA pipes'];
  } else if (flags.has('avx2') && flags.has('fma')) {
    [lanes, fmaPipes, isa] = [8, 2, 'AVX2 + FMA, two 256-bit FMA pipes'];
  } else {
    [lanes, fmaPipes, isa] = [4, flags.has('fma') ? 2 : 1, 'SSE'];
  }
  const cpuinfoGhz = mhz / 1000;
  const measured = measuredGhz !== undefined && Number.isFinite(measuredGhz) && measuredGhz > 0 ? measuredGhz : undefined;
  const ghz = measured ?? cpuinfoGhz;
  const clock = measured
    ? `${cores} cores at ${ghz.toFixed(3)} GHz (measured on all cores at once; /proc/cpuinfo says ${cpuinfoGhz.toFixed(3)})`
    : `${cores} cores at ${ghz.toFixed(3)} GHz (cpu MHz; not measured)`;
  return {
    lanes, fmaPipes, ghz, cpuinfoGhz, ...(measured ? { measuredGhz: measured } : {}), cores,
    gflops: cores * ghz * lanes * fmaPipes * 2,
    basis: `${vendor || 'unknown vendor'} family ${family}, ${isa} (flags ${flags.has('avx512f') ? 'avx512f' : flags.has('avx2') ? 'avx2 fma' : 'sse'}), ${clock}`,
  };
}
