// Shell functions the guest side of the boot tests share (the fake runner's scripts, the bare boot's).

/** Shell: `report NAME` sends its input to the test's server. */
export const REPORT = 'report() { curl -fsS --max-time 20 --data-binary @- "http://10.0.2.100:8080/report/$1" >/dev/null; }';

/** The units whose start and end the breakdown shows: cloud-init's four stages, the targets, sshd, ours. */
const CLOCK_UNITS = [
  'cloud-init-local.service', 'cloud-init.service', 'network-online.target', 'cloud-config.service', 'multi-user.target',
  'cloud-final.service', 'ssh.service', 'actions-runner-jit.service', 'register-actions-runner.service', 'runner-docker-data.service',
];

/**
 * Shell: `clocks [UNIT...]` prints the manager's boot timestamps, then each unit's (the ones above
 * and the arguments), as `systemctl show` blocks; monotonic, in microseconds.
 */
export const CLOCKS_SH = `clocks() {
  systemctl show -p InitRDTimestampMonotonic -p UserspaceTimestampMonotonic -p FinishTimestampMonotonic
  echo
  systemctl show -p Id -p InactiveExitTimestampMonotonic -p ActiveEnterTimestampMonotonic -p ExecMainStartTimestampMonotonic ${CLOCK_UNITS.join(' ')} "$@"
}`;
