import { CA_DISK_SERIAL, JIT_DISK_SERIAL, TOKEN_DISK_SERIAL } from '../../private/token-disk';
import { Finding, ManifestObject } from '../finding';
import { arrayAt } from '../manifest-values';
import { reporterFor } from '../report';
import { runnerTemplates } from './runner-templates';

const SERIALS = [TOKEN_DISK_SERIAL, JIT_DISK_SERIAL, CA_DISK_SERIAL];
const KUBEVIRT_SERIAL = /^[A-Za-z0-9_.+-]{1,256}$/;

// The guest finds each Secret the runner needs (its registration token, its JIT config, a CA bundle)
// by the serial of the disk that carries it (/dev/disk/by-id/virtio-<serial>, lib/guest): a Secret
// disk of a runner template without one of those serials is never read, and the runner never
// registers. The launcher's VMI template also needs its `jit` disk to carry the JIT serial.
export function checkTokenDisks(items: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const template of runnerTemplates(items)) {
    const report = reporterFor(findings, template.item);
    const secretVolumes = new Set(arrayAt(template.spec?.volumes).filter((v: any) => v?.secret !== undefined).map((v: any) => v?.name));
    const launcher = template.specPath.startsWith('/data/');
    const seen = new Set<unknown>();
    arrayAt(template.spec?.domain?.devices?.disks).forEach((disk: any, i: number) => {
      // A second disk of a name, or a serial KubeVirt refuses, is the admission rules' finding already.
      const duplicate = seen.has(disk?.name);
      seen.add(disk?.name);
      if (!secretVolumes.has(disk?.name) || duplicate || (disk.serial !== undefined && !KUBEVIRT_SERIAL.test(disk.serial))) return;
      const at = `${template.specPath}/domain/devices/disks/${i}/serial`;
      if (launcher && disk.name === 'jit' && disk.serial !== JIT_DISK_SERIAL) {
        report(at, `the launcher's jit disk must have serial ${JIT_DISK_SERIAL} (the guest reads its JIT config from that disk), got ${JSON.stringify(disk.serial)}`);
      } else if (!SERIALS.includes(disk.serial)) {
        report(at, `secret disk '${disk.name}' has serial ${JSON.stringify(disk.serial)}; the guest reads Secrets only from disks with serial ${SERIALS.join(', ')}`);
      }
    });
  }
  return findings;
}
