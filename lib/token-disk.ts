/**
 * The serial of the disk that carries the registration-token Secret into the guest. KubeVirt
 * attaches a `secret` volume as a small ISO disk; with a virtio bus, udev links it as
 * /dev/disk/by-id/virtio-<serial>. virtio-blk keeps at most 20 bytes of a serial, so keep it short.
 */
export const TOKEN_DISK_SERIAL = 'RUNNERTOKEN';

/** The key of the token Secret that holds the registration token (`kubectl create secret ... --from-literal=token=...`). */
export const DEFAULT_TOKEN_KEY = 'token';

/**
 * Annotation on a VirtualMachine listing (comma-separated) the Secrets it references that are
 * created out of band, such as the registration-token Secret, so that validation knows they are
 * meant to be absent from the output.
 */
export const EXTERNAL_SECRETS_ANNOTATION = 'cdk8s-kubevirt-runners/external-secrets';
