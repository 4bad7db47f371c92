import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPgpFingerprints } from '../lib/private/openpgp';

// The helper that proves the shipped Docker key: it must notice a damaged key, not only pass a good one.
describe('openPgpFingerprints', () => {
  const key = readFileSync(join(__dirname, '..', 'lib', 'guest', 'docker-apt-key.asc'), 'utf8');

  test('reads the primary key and subkey fingerprints', () => {
    expect(openPgpFingerprints(key)).toEqual(['9DC858229FC7DD38854AE2D88D81803C0EBFCD88', 'D3306A018370199E527AE7997EA0A9C3F273FCD8']);
  });

  test('a single changed character fails the armor checksum', () => {
    const damaged = key.replace('EWpROtzaKHG6lA3p', 'EWpROtzaKHM6lA3p');
    expect(damaged).not.toBe(key);
    expect(() => openPgpFingerprints(damaged)).toThrow('OpenPGP armor checksum mismatch');
  });
});
