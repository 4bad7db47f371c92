/**
 * The serial of the disk that carries the registration-token Secret into the guest. KubeVirt
 * attaches a `secret` volume as a small ISO disk; with a virtio bus, udev links it as
 * /dev/disk/by-id/virtio-<serial>. virtio-blk keeps at most 20 bytes of a serial, so keep it short.
 */
export const TOKEN_DISK_SERIAL = 'RUNNERTOKEN';

/** The key of the token Secret that holds the registration token (`kubectl create secret ... --from-literal=token=...`). */
export const DEFAULT_TOKEN_KEY = 'token';

/** The serial of the disk that carries a per-job VM's just-in-time runner config (ARC's per-runner Secret). */
export const JIT_DISK_SERIAL = 'RUNNERJIT';

/** The key of ARC's per-runner Secret that holds the JIT config (actions-runner-controller 0.14). */
export const ARC_JIT_SECRET_KEY = 'jitToken';

/** The serial of the disk that carries extra CA certificates (`caCertificatesFrom`: a Secret or ConfigMap key). */
export const CA_DISK_SERIAL = 'RUNNERCA';

/** The serial of the disk that holds Docker's data (/var/lib/docker and /var/lib/containerd), formatted when blank. */
export const DOCKER_DATA_DISK_SERIAL = 'DOCKERDATA';
