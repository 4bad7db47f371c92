import { isDnsLabel } from '../../private/names';
import { arrayAt } from '../manifest-values';
import { Report } from '../report';
import { VMI } from './vmi-values';

const DISK_BUSES = ['virtio', 'scsi', 'sata', 'usb'];
const DISK_TARGETS = ['disk', 'lun', 'cdrom'];
const SERIAL = /^[A-Za-z0-9_.+-]+$/;
const SERIAL_MAX_LENGTH = 256;
const CACHE_MODES = ['none', 'writethrough', 'writeback'];
const IO_MODES = ['native', 'threads'];

// KubeVirt pkg/storage/admitters/disks.go ValidateDisks (validateDiskName, validateDeviceTarget,
// validateBootOrderValue, validateBusSupport, validateSerialNumValue, validateSerialNumLength,
// validateCacheMode, validateIOMode, validateDiskNameAsContainerName) and vmi-create-admitter.go
// validateBootOrder (boot orders unique across disks and interfaces).
export function checkDisks(vmi: any, report: Report): void {
  const seen = new Map<string, number>();
  const bootOrders = new Set<number>();
  arrayAt(vmi.domain?.devices?.disks).forEach((disk: any, i: number) => {
    const at = `${VMI}/domain/devices/disks/${i}`;
    const name = disk?.name;
    if (seen.has(name)) report(`${at}/name`, `disk name '${name}' is already used by disks/${seen.get(name)}`);
    else seen.set(name, i);
    if (typeof name === 'string' && !isDnsLabel(name)) {
      report(`${at}/name`, `disk name ${JSON.stringify(name)} is not a DNS-1123 label (KubeVirt uses it as a container name)`);
    }
    const targets = DISK_TARGETS.filter((t) => disk?.[t] !== undefined);
    if (targets.length > 1) report(at, `a disk has one target type, this one has ${targets.join(' and ')}`);
    const target = targets[0];
    const bus = target ? disk[target]?.bus : undefined;
    if (bus !== undefined && bus !== '') {
      if (bus === 'ide') report(`${at}/${target}/bus`, 'the IDE bus is not supported');
      else if (!DISK_BUSES.includes(bus)) report(`${at}/${target}/bus`, `bus ${JSON.stringify(bus)} is not one of ${DISK_BUSES.join(', ')}`);
      else if (bus === 'virtio' && target === 'cdrom') report(`${at}/cdrom/bus`, 'a CD-ROM cannot be on the virtio bus');
      else if (bus === 'sata' && target === 'disk' && disk.disk.readonly) report(`${at}/disk/bus`, 'sata hard disks cannot be read-only');
    }
    if (disk?.serial !== undefined && disk.serial !== '') {
      if (!SERIAL.test(String(disk.serial))) report(`${at}/serial`, `serial ${JSON.stringify(disk.serial)} may only hold letters, digits and _ . + -`);
      if ([...String(disk.serial)].length > SERIAL_MAX_LENGTH) report(`${at}/serial`, `serial is longer than ${SERIAL_MAX_LENGTH} characters`);
    }
    if (disk?.cache !== undefined && disk.cache !== '' && !CACHE_MODES.includes(disk.cache)) {
      report(`${at}/cache`, `cache ${JSON.stringify(disk.cache)} is not one of ${CACHE_MODES.join(', ')}`);
    }
    if (disk?.io !== undefined && disk.io !== '' && !IO_MODES.includes(disk.io)) report(`${at}/io`, `io ${JSON.stringify(disk.io)} is not one of ${IO_MODES.join(', ')}`);
    checkBootOrder(disk?.bootOrder, `${at}/bootOrder`, bootOrders, report);
  });
  arrayAt(vmi.domain?.devices?.interfaces).forEach((iface: any, i: number) =>
    checkBootOrder(iface?.bootOrder, `${VMI}/domain/devices/interfaces/${i}/bootOrder`, bootOrders, report));
}

function checkBootOrder(order: unknown, at: string, used: Set<number>, report: Report): void {
  if (typeof order !== 'number') return;
  if (order < 1) report(at, `bootOrder ${order} must be 1 or more`);
  else if (used.has(order)) report(at, `bootOrder ${order} is already given to another disk or interface`);
  used.add(order);
}
