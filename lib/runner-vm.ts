import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  VirtualMachine, VirtualMachineSpecDataVolumeTemplatesSpecStorageResourcesRequests as DataVolumeStorageQuantity,
} from '../imports/kubevirt.io';
import { OsImage } from './os-image';
import { registerRunner } from './private/collisions';
import { annotationValue, EXTERNAL_SECRETS_ANNOTATION, EXTERNAL_VOLUMES_ANNOTATION } from './private/external-references';
import { treeDefaults } from './private/names';
import { TOKEN_DISK_SERIAL } from './private/token-disk';
import { dataVolumeSpec } from './render/data-volume';
import { setupDisks, setupSecretNames } from './render/setup-disks';
import { RUNNER_KUBERNETES_LABELS, runnerVmiSpec } from './render/vmi-spec';
import { isSealed } from './spec/sealed';
import { resolveVm, RunnerVmProps, VmSpec } from './spec/vm';

/**
 * A KubeVirt VirtualMachine (kubevirt.io/v1) that is one GitHub Actions runner: its own root disk,
 * the cloud-config Secret, the registration-token Secret as a disk with a known serial, and the pod
 * network (masquerade). The hostname is the VM name, so the runner registers under the VM's name.
 */
export class RunnerVm extends Construct {
  /** `metadata.name` of the VM, its hostname and its runner's name. */
  public readonly name: string;
  /** Namespace of the VM. */
  public readonly namespace: string;
  /** Name of the VM's root-disk DataVolume. */
  public readonly rootDiskName: string;
  /** Name of the VM's DataVolume for /var/lib/docker, when it has one (`dockerDataDisk`). */
  public readonly dockerDataDiskName?: string;
  /** The VirtualMachine, for `ApiObject.of(...).addJsonPatch(...)`. */
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: RunnerVmProps);
  /** @internal One VM of a fleet, from the spec its resolver made. */
  constructor(scope: Construct, id: string, spec: VmSpec);
  constructor(scope: Construct, id: string, input: RunnerVmProps | VmSpec) {
    super(scope, id);
    const spec = isSealed<VmSpec>(input, 'vm') ? input : resolveVm(input, treeDefaults(this, 'RunnerVm'));
    this.name = spec.name;
    this.namespace = spec.namespace;
    this.rootDiskName = `${this.name}-root`;
    const dockerDataDisk = spec.vmOptions.dockerDataDisk;
    if (dockerDataDisk) this.dockerDataDiskName = `${this.name}-docker`;
    registerRunner(this, { runnerName: this.name, githubUrl: spec.cloudInit.scope.url, namespace: this.namespace });
    // The library's own labels win: selectors and cost reports rely on them.
    const labels = { ...spec.vmLabels, ...RUNNER_KUBERNETES_LABELS };
    const externalVolumes = annotationValue([spec.rootDisk.osImage.externalVolume(this.namespace)]);

    this.apiObject = new VirtualMachine(this, 'Resource', {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels,
        // What is created out of band (the token Secret, a clone source you keep), so that
        // validation knows not to look for it in the output.
        annotations: {
          [EXTERNAL_SECRETS_ANNOTATION]: annotationValue([spec.tokenSecretName, spec.rootDisk.osImage.secretRef, ...setupSecretNames(spec.cloudInit.guest)])!,
          ...(externalVolumes ? { [EXTERNAL_VOLUMES_ANNOTATION]: externalVolumes } : {}),
        },
      },
      spec: {
        runStrategy: spec.sizing.runStrategy,
        ...(spec.sizing.instancetype ? { instancetype: { ...spec.sizing.instancetype } } : {}),
        ...(spec.sizing.preference ? { preference: { ...spec.sizing.preference } } : {}),
        dataVolumeTemplates: [{
          metadata: { name: this.rootDiskName },
          spec: dataVolumeSpec(spec.rootDisk, DataVolumeStorageQuantity.fromString),
        }, ...(dockerDataDisk && this.dockerDataDiskName ? [{
          // Blank: the guest formats it at first boot and keeps it across reboots, like the root disk.
          metadata: { name: this.dockerDataDiskName },
          spec: dataVolumeSpec({ ...dockerDataDisk, osImage: OsImage.blank() }, DataVolumeStorageQuantity.fromString),
        }] : [])],
        template: {
          metadata: { labels, ...(spec.templateAnnotations ? { annotations: { ...spec.templateAnnotations } } : {}) },
          spec: runnerVmiSpec({
            hostname: this.name,
            sizing: spec.sizing,
            arch: spec.cloudInit.release.arch,
            evictionStrategy: spec.sizing.evictionStrategy,
            options: spec.vmOptions,
            fleetSelector: spec.fleetSelector,
            sshUser: spec.cloudInit.user,
            dockerDataVolume: this.dockerDataDiskName,
            disks: [
              { name: 'rootdisk', volume: { dataVolume: { name: this.rootDiskName } } },
              { name: 'cloudinitdisk', volume: { cloudInitNoCloud: { secretRef: { name: spec.cloudInit.secretName } } } },
              // optional: once every runner has registered, the token Secret can (and should) be
              // deleted; a configured runner never reads it again, and its VM still starts.
              { name: 'token', serial: TOKEN_DISK_SERIAL, readonly: true, volume: { secret: { secretName: spec.tokenSecretName, optional: true } } },
              ...setupDisks(spec.cloudInit.guest),
            ],
          }),
        },
      },
    });
  }
}
