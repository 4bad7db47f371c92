import { CA_DISK_SERIAL } from '../private/token-disk';
import type { ResolvedSetup } from '../spec/resolved';
import type { RunnerVmDisk } from './vmi-spec';

// The disks that a guest's set-up reads at boot, attached to every VM that runs the set-up's
// cloud-config: the long-lived runners (RunnerVm) and RunnerImage's bake VM. Per-job and warm-pool
// VMs boot the baked image, which keeps what these disks brought (the trust store).

/** The disk name of the extra CA certificates (caCertificatesFrom). */
export const CA_DISK_NAME = 'runnerca';

/** The set-up's disks: the CA Secret or ConfigMap (serial RUNNERCA) when `caCertificatesFrom` is set. */
export function setupDisks(setup: ResolvedSetup): RunnerVmDisk[] {
  const ca = setup.caCertificatesFrom;
  if (!ca) return [];
  // Not optional: a VM whose CA is missing would fail every TLS connection to the company's servers.
  const volume = ca.kind === 'secret'
    ? { secret: { secretName: ca.name } }
    : { configMap: { name: ca.name } };
  return [{ name: CA_DISK_NAME, serial: CA_DISK_SERIAL, readonly: true, volume }];
}

/** Names of the Secrets (created out of band) that the set-up's disks reference. */
export function setupSecretNames(setup: ResolvedSetup): string[] {
  return setup.caCertificatesFrom?.kind === 'secret' ? [setup.caCertificatesFrom.name] : [];
}
