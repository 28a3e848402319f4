import { Analysis } from '../semantic/analyzer';
import { MachineSym, PropertySym, Value } from '../semantic/model';

/**
 * The device property values a machine type forces (docs/language.md, "Machine types"):
 * the parent's compat entries first (recursively; the parent is the next newer machine
 * type), then its own, the later entry winning — as QEMU's machine option functions
 * apply hw_compat_X_Y and pc_compat_X_Y. Properties it does not set keep their defaults.
 */
export function machineProperties(m: MachineSym): Map<PropertySym, Value> {
  const chain: MachineSym[] = [];
  const seen = new Set<MachineSym>();
  for (let x: MachineSym | undefined = m; x && !seen.has(x); x = x.parent) {
    seen.add(x); // cycles are reported by the analysis; here they just end the walk
    chain.push(x);
  }
  const out = new Map<PropertySym, Value>();
  for (const x of chain.reverse()) for (const c of x.compat) if (c.property && c.value !== undefined) out.set(c.property, c.value);
  return out;
}

export function findMachine(analysis: Analysis, name: string): MachineSym | undefined {
  return analysis.machines.find((m) => m.name === name);
}
