/**
 * Synthetic workspaces for benchmarks: many files of realistic descriptions (fields of
 * every kind, variable arrays, subsections with conditions, devices with properties,
 * machine types with compat entries), all including a shared file.
 */
export interface GeneratedFile {
  uri: string;
  text: string;
}

const SCALARS = ['u8', 'u16', 'u32', 'u64', 'i32', 'i64', 'bool', 'timer'];

export function generateDescription(i: number, fields = 24): string {
  const name = `dev${i}`;
  const lines: string[] = [];
  lines.push(`/// Generated device ${i}.`, `/// Since: 7.2`, `vmstate ${name}_timer {`, `    version 1`, `    tn: u8`, `    config: u64`, `    cmp: u64`, `    qemu_timer: timer`, `}`, '');
  lines.push(`/// Generated device state ${i}.`, `vmstate ${name} {`, `    version 3`, `    minimum_version 1`, '');
  lines.push(`    num_timers: u8 since 2 default 3`);
  for (let f = 0; f < fields; f++) {
    const t = SCALARS[(i + f) % SCALARS.length];
    const mod = f % 7 === 3 ? ' since 3' : f % 11 === 5 ? ` if (num_timers > ${f % 4})` : '';
    lines.push(`    /// Field ${f}.`, `    f${f}: ${t}${f % 5 === 0 ? `[${(f % 4) + 1}]` : ''}${mod}`);
  }
  lines.push(`    timers: ${name}_timer[num_timers]`, `    regs: u32[REGS]`, `    mode: Mode`, `    data: bytes[num_timers]`, `    unused 4`, '');
  lines.push(`    subsection extra needed (property(x-extra-${i % 3}) && num_timers != 0) {`, `        version 1`, `        e0: u32`, `        e1: u64`, `    }`, '');
  lines.push(`    subsection irq needed (mode == Mode.on || num_timers >= 3) {`, `        version 1`, `        level: u8`, `    }`, `}`, '');
  lines.push(`device ${name}-dev : common-dev {`, `    state ${name}`, `    property x-extra-${i % 3}: bool = true`, `    property timers: u8 = 3`, `}`, '');
  return lines.join('\n');
}

export const COMMON = [
  '/// Shared declarations.',
  'const REGS = 8',
  '',
  'enum Mode: u8 {',
  '    off,',
  '    on,',
  '}',
  '',
  '@abstract',
  'device common-dev {',
  '    property x-extra-0: bool = true',
  '    property x-extra-1: bool = true',
  '    property x-extra-2: bool = true',
  '}',
  '',
].join('\n');

/** A workspace of about `targetLines` lines, `perFile` descriptions per file. */
export function generateWorkspace(targetLines: number, perFile = 4): GeneratedFile[] {
  const files: GeneratedFile[] = [{ uri: 'file:///bench/common.vmsd', text: COMMON }];
  let lines = COMMON.split('\n').length;
  let i = 0;
  const machines: string[] = [];
  while (lines < targetLines) {
    let text = 'include "common.vmsd"\n\n';
    for (let k = 0; k < perFile; k++) text += generateDescription(i++) + '\n';
    files.push({ uri: `file:///bench/gen${files.length}.vmsd`, text });
    lines += text.split('\n').length;
    machines.push(`gen${files.length - 1}.vmsd`);
  }
  // Machine types: a chain with compat entries on the generated devices.
  let m = machines.map((f) => `include "${f}"`).join('\n') + '\n\n';
  m += 'machine "bench-9.0" {}\n\n';
  for (let v = 8; v >= 1; v--) {
    m += `machine "bench-${v}.0" : "bench-${v + 1}.0" {\n`;
    for (let d = v; d < i; d += 9) m += `    dev${d}-dev.x-extra-${d % 3} = false\n`;
    m += '}\n\n';
  }
  files.push({ uri: 'file:///bench/machines.vmsd', text: m });
  return files;
}

export function lineCount(files: GeneratedFile[]): number {
  return files.reduce((n, f) => n + f.text.split('\n').length, 0);
}
