import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { synth } from './util';
import { Distribution, OsImage, RunnerChart } from '../lib';

// Token-like values that must never appear in synthesized YAML or in a snapshot.
const CREDENTIAL_PATTERNS: Array<[string, RegExp]> = [
  ['classic personal access token', /\bghp_[A-Za-z0-9]{30,}/],
  ['fine-grained personal access token', /\bgithub_pat_[A-Za-z0-9_]{30,}/],
  ['GitHub App installation / OAuth / user / refresh token', /\bgh[sour]_[A-Za-z0-9]{30,}/],
  ['PEM private key', /-----BEGIN (?:[A-Z]+ )?PRIVATE[ ]KEY-----/],
  ['runner registration token', /\bA[A-Z0-9]{28}\b/],
];

function credentialsIn(text: string): string[] {
  return CREDENTIAL_PATTERNS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
}

describe('no credential in the output', () => {
  test('the scanner finds each kind of credential (fakes made here, at test time)', () => {
    const random = (n: number) => Array.from({ length: n }, (_, i) => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[(i * 7 + n) % 32]).join('');
    expect(credentialsIn(`token: ghp_${random(36)}`)).toEqual(['classic personal access token']);
    expect(credentialsIn(`github_pat_${random(40)}`)).toEqual(['fine-grained personal access token']);
    expect(credentialsIn(`ghs_${random(36)}`)).toEqual(['GitHub App installation / OAuth / user / refresh token']);
    expect(credentialsIn(['-----BEGIN RSA', 'PRIVATE', 'KEY-----'].join(' '))).toEqual(['PEM private key']);
    expect(credentialsIn(`token=A${random(28)}`)).toEqual(['runner registration token']);
    expect(credentialsIn('RUNNER_SHA256=048024cd2c848eb6f14d5646d56c13a4def2ae7ee3ad12122bee960c56f3d271')).toEqual([]);
  });

  test('synthesized fleets hold no token-like value', () => {
    const fleets = [
      new RunnerChart(Testing.app(), 'a', { url: 'https://github.com/acme', tokenSecretName: 'ci-runner-token', replicas: 2 }),
      new RunnerChart(Testing.app(), 'b', {
        url: 'https://ghes.example.com/enterprises/corp', tokenSecretName: 'runner-token', runnerGroup: 'linux', osImage: OsImage.debian12(),
        sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0000000000000000000000000000000000000000000 ops'],
      }),
      new RunnerChart(Testing.app(), 'c', {
        url: 'https://github.com/acme/app', tokenSecretName: 't', docker: false,
        osImage: OsImage.dataSource('ubuntu', { distribution: Distribution.UBUNTU }),
      }),
    ];
    for (const chart of fleets) {
      expect(credentialsIn(synth(chart).map((o) => stringify(o)).join('---\n'))).toEqual([]);
    }
  });

  test('no snapshot holds a token-like value', () => {
    const dir = join(__dirname, '__snapshots__');
    const snapshots = readdirSync(dir).filter((f) => f.endsWith('.snap'));
    expect(snapshots.length).toBeGreaterThan(0);
    for (const file of snapshots) {
      expect({ file, found: credentialsIn(readFileSync(join(dir, file), 'utf8')) }).toEqual({ file, found: [] });
    }
  });
});
