import { TreeDefaults } from '../private/names';
import { Naming } from '../private/naming';
import { validateBoolean, validateName } from '../private/validators';
import { DiskSpec } from './options';
import { ResolvedDisk } from './resolved';
import { seal, Sealed } from './sealed';
import { resolveStorage, validateImage } from './vm-options';
import { checkFreeText } from '../private/free-text';

/** Props of a standalone DataVolume. */
export interface RunnerDiskProps extends DiskSpec {
  /** `metadata.name` of the DataVolume. @default - derived from the construct path */
  readonly name?: string;
  /** Namespace of the DataVolume, always written out so that clones can name it. @default - the chart's namespace, else 'default' */
  readonly namespace?: string;
  /**
   * Ask CDI to import at once even when the StorageClass binds on first consumer. A golden image
   * has no consumer of its own (VMs clone it), so without this it would wait forever on such classes.
   * @default false
   */
  readonly bindImmediately?: boolean;
}

/** What a RunnerDisk renders. */
export type DiskObjectSpec = Sealed<'disk', {
  readonly name: string;
  readonly namespace: string;
  readonly disk: ResolvedDisk;
  readonly bindImmediately: boolean;
}>;

const NAMING: Naming = { owner: 'RunnerDisk' };

/** A RunnerDisk made alone: its own props. */
export function resolveDisk(props: RunnerDiskProps, defaults: TreeDefaults): DiskObjectSpec {
  checkFreeText(NAMING, props);
  return seal('disk', {
    name: validateName(NAMING, 'name', props.name ?? defaults.name()),
    namespace: validateName(NAMING, 'namespace', props.namespace ?? defaults.namespace),
    disk: Object.freeze({ ...resolveStorage(props, NAMING, ''), osImage: validateImage(NAMING, 'osImage', props.osImage) }),
    bindImmediately: validateBoolean(NAMING, 'bindImmediately', props.bindImmediately, false),
  });
}

/**
 * A volume imported once and bound at once (nothing consumes it: VMs clone it, or boot it as a
 * baked image), whose storage and image its owner's resolver validated.
 */
export function importedVolumeSpec(name: string, namespace: string, disk: ResolvedDisk): DiskObjectSpec {
  return seal('disk', { name, namespace, disk, bindImmediately: true });
}
