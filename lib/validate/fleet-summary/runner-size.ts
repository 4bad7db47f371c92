import { quantity } from '../manifest-values';
import { Amount, known, unknownTerm } from './amount';

/** vCPUs: an instancetype's, else the CPU topology's, else the CPU request or limit rounded up (KubeVirt's rules), else 1. */
export function vcpuOf(vmSpec: any, vmi: any): Amount {
  if (vmSpec?.instancetype?.name) return unknownTerm(`instancetype ${vmSpec.instancetype.name}`);
  const cpu = vmi?.domain?.cpu ?? {};
  if (['cores', 'sockets', 'threads'].some((k) => typeof cpu[k] === 'number')) {
    return known((cpu.cores ?? 1) * (cpu.sockets ?? 1) * (cpu.threads ?? 1));
  }
  const resources = vmi?.domain?.resources ?? {};
  const request = quantity(resources.limits?.cpu) ?? quantity(resources.requests?.cpu);
  return known(request !== undefined ? Math.max(1, Math.ceil(request - 1e-9)) : 1);
}

/** Guest memory: an instancetype's, else memory.guest, else the request or limit. */
export function memoryOf(vmSpec: any, vmi: any): Amount {
  if (vmSpec?.instancetype?.name) return unknownTerm(`instancetype ${vmSpec.instancetype.name}`);
  const domain = vmi?.domain ?? {};
  const memory = quantity(domain.memory?.guest) ?? quantity(domain.resources?.requests?.memory) ?? quantity(domain.resources?.limits?.memory);
  return memory !== undefined ? known(memory) : unknownTerm('memory not set');
}
