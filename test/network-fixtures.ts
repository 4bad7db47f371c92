import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Fixtures for the guest's network options, made fresh by every test run (nothing key-like is
// committed): a self-signed CA (openssl req -x509, EC P-256) and an apt signing key (gpg
// --quick-gen-key ed25519). Their private keys never leave a temporary folder deleted right away.

function generated<T>(make: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'kvr-fixture-'));
  try {
    return make(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function testCa(): string {
  return generated((dir) => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-subj', '/CN=Test Corp Root CA', '-days', '3650'], { stdio: 'ignore' });
    return execFileSync('openssl', ['x509', '-in', join(dir, 'ca.pem')], { encoding: 'utf8' });
  });
}

function testAptKey(): { armored: string; fingerprint: string } {
  return generated((dir) => {
    const gpg = (...args: string[]) => execFileSync('gpg', ['--homedir', dir, '--batch', '--quiet', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      gpg('--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'Test Mirror <mirror@example.com>', 'ed25519', 'sign', 'never');
      const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--with-colons', '--fingerprint'))![1];
      return { armored: gpg('--armor', '--export', fingerprint), fingerprint };
    } finally {
      try {
        execFileSync('gpgconf', ['--homedir', dir, '--kill', 'gpg-agent'], { stdio: 'ignore' });
      } catch {
        // no agent left running
      }
    }
  });
}

/** A CA certificate, PEM. */
export const TEST_CA_PEM = testCa();

const aptKey = testAptKey();
/** An ASCII-armored OpenPGP public key, as a re-signing mirror would publish it. */
export const TEST_APT_KEY = aptKey.armored;
/** Its primary key's fingerprint. */
export const TEST_APT_KEY_FINGERPRINT = aptKey.fingerprint;

/** A PEM block of the same shape whose DER cannot be read: the length in its first bytes is changed. */
export function unreadableCertificate(pem: string): string {
  const lines = pem.split('\n');
  const body = lines[1];
  lines[1] = `${body.slice(0, 7)}${body[7] === 'D' ? 'E' : 'D'}${body.slice(8)}`;
  return lines.join('\n');
}

/** The armor header of a private key, built here so that no such line is committed. */
export const PRIVATE_KEY_WORDS = ['PRIVATE', 'KEY'].join(' ');
