import { Testing } from 'cdk8s';
import { cloudConfigOf, synth, writtenFile } from './util';
import { Distribution, OsImage, RunnerCloudInit, RunnerCloudInitProps, RunnerImage, RunnerPool, RunnerWarmPool } from '../lib';
import { RUNNER_EXIT_LINE } from '../lib/cluster/contract';
import {
  JIT_SCRIPT_PATH, NEEDRESTART_CONF_PATH, readGuestFile, REBOOT_WHEN_IDLE_SCRIPT_PATH, REBOOT_WHEN_IDLE_TIMER, SECURITY_UPDATES_APT_CONF_PATH,
} from '../lib/render/cloud-config';

// What the cloud-configs do so that a fleet stays current and says so when it cannot: a long-lived
// runner installs the distribution's security updates by itself and reboots for them only while it
// is idle; a per-job VM's runner reports a deprecated version (exit 7) on the serial console.

const BASE: RunnerCloudInitProps = { url: 'https://github.com/acme', runnerLabels: ['kubevirt'] };

function staticConfig(props: Partial<RunnerCloudInitProps> = {}) {
  const chart = Testing.chart();
  new RunnerCloudInit(chart, 'ci', { ...BASE, name: 'runners', namespace: 'ci', ...props });
  return cloudConfigOf(synth(chart)[0]);
}

const paths = (config: any): string[] => config.write_files.map((f: any) => f.path);
const SECURITY_FILES = [SECURITY_UPDATES_APT_CONF_PATH, NEEDRESTART_CONF_PATH, REBOOT_WHEN_IDLE_SCRIPT_PATH,
  '/etc/systemd/system/reboot-when-idle.service', `/etc/systemd/system/${REBOOT_WHEN_IDLE_TIMER}`];

describe('long-lived runners install security updates by themselves, and reboot only when idle', () => {
  test.each([Distribution.UBUNTU, Distribution.DEBIAN])('%s: unattended-upgrades installed and on, Automatic-Reboot off, the idle-reboot timer enabled', (distribution) => {
    const config = staticConfig({ distribution });
    expect(config.packages).toContain('unattended-upgrades');
    expect(writtenFile(config, SECURITY_UPDATES_APT_CONF_PATH).split('\n').filter((l: string) => !l.startsWith('//'))).toEqual([
      'APT::Periodic::Update-Package-Lists "1";',
      'APT::Periodic::Unattended-Upgrade "1";',
      'Unattended-Upgrade::Automatic-Reboot "false";',
      '',
    ]);
    // Read after the packages' own 20auto-upgrades and 50unattended-upgrades: its values win.
    expect(SECURITY_UPDATES_APT_CONF_PATH.split('/').at(-1)! > '50unattended-upgrades').toBe(true);
    expect(writtenFile(config, NEEDRESTART_CONF_PATH)).toContain('$nrconf{override_rc}{qr(^actions\\.runner\\.)} = 0;');
    expect(writtenFile(config, REBOOT_WHEN_IDLE_SCRIPT_PATH)).toBe(readGuestFile('reboot-when-idle.sh'));
    expect(config.write_files.find((f: any) => f.path === REBOOT_WHEN_IDLE_SCRIPT_PATH).permissions).toBe('0755');
    expect(writtenFile(config, `/etc/systemd/system/${REBOOT_WHEN_IDLE_TIMER}`)).toMatch(/OnUnitInactiveSec=10min/);
    expect(writtenFile(config, '/etc/systemd/system/reboot-when-idle.service')).toMatch(/^ExecStart=\/usr\/local\/sbin\/reboot-when-idle$/m);
    expect(config.runcmd).toContainEqual(['systemctl', 'enable', '--now', REBOOT_WHEN_IDLE_TIMER]);
    // Before the registration unit, which is last.
    expect(config.runcmd.at(-1)).toEqual(['systemctl', 'enable', '--now', 'register-actions-runner.service']);
  });

  test('a pre-baked image (installPackages: false) gets the settings and the timer, and installs nothing', () => {
    const config = staticConfig({ installPackages: false, docker: false });
    expect(config.packages).toBeUndefined();
    expect(paths(config)).toEqual(expect.arrayContaining(SECURITY_FILES));
  });

  test('automaticSecurityUpdates: false opts out: no package, no settings, no timer', () => {
    const config = staticConfig({ automaticSecurityUpdates: false });
    expect(config.packages).not.toContain('unattended-upgrades');
    for (const path of SECURITY_FILES) expect(paths(config)).not.toContain(path);
    expect(JSON.stringify(config.runcmd)).not.toContain('reboot-when-idle');
  });

  test('a bad value names the construct and the prop', () => {
    expect(() => staticConfig({ automaticSecurityUpdates: 'weekly' as any })).toThrow(/RunnerCloudInit 'automaticSecurityUpdates' must be (true or false|a boolean)/);
  });

  test('the runner keeps updating itself on long-lived VMs (disableUpdate stays false): RunnerPool', () => {
    const chart = Testing.chart();
    new RunnerPool(chart, 'pool', { url: 'https://github.com/acme', tokenSecretName: 'token', replicas: 1, osImage: OsImage.debian12() });
    const secret = synth(chart).find((o) => o.kind === 'Secret')!;
    const config = cloudConfigOf(secret);
    expect(writtenFile(config, '/etc/actions-runner/runner.env')).toContain("RUNNER_DISABLE_UPDATE='false'");
    expect(paths(config)).toEqual(expect.arrayContaining(SECURITY_FILES));
  });

  test('one-job VMs do not: a warm pool\'s VM and a bake install nothing of it (the bake is re-done instead)', () => {
    const chart = Testing.chart();
    const image = new RunnerImage(chart, 'image', { name: 'img' });
    new RunnerWarmPool(chart, 'warm', { url: 'https://github.com/acme', tokenSecretName: 'token', replicas: 1, runnerImage: image });
    for (const secret of synth(chart).filter((o) => o.kind === 'Secret')) {
      const config = cloudConfigOf(secret);
      for (const path of SECURITY_FILES) expect(paths(config)).not.toContain(path);
      expect(config.packages ?? []).not.toContain('unattended-upgrades');
    }
  });
});

describe('a per-job VM\'s runner reports a deprecated version', () => {
  test('the baked per-job script runs run.sh with ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1 and writes the exit line on the serial console', () => {
    const chart = Testing.chart();
    const image = new RunnerImage(chart, 'image', { name: 'img', baseOsImage: OsImage.debian12() });
    const bake = cloudConfigOf(synth(chart).find((o) => o.kind === 'Secret' && o.metadata.name === image.readyVmiName)!);
    const script = writtenFile(bake, JIT_SCRIPT_PATH);
    expect(script).toBe(readGuestFile('run-jit-runner.sh'));
    expect(script).toMatch(/ACTIONS_RUNNER_INPUT_JITCONFIG="\$JIT_CONFIG" ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1 \\\n\s+runuser -u "\$RUNNER_USER" -- \.\/run\.sh/);
    expect(script).toContain(`readonly EXIT_LINE='${RUNNER_EXIT_LINE}'`);
  });
});
