import { createHash } from 'node:crypto';

/**
 * The v4 fingerprints of the public key and subkey packets in an ASCII-armored OpenPGP key (RFC 4880
 * 12.2: SHA-1 over 0x99, a two-byte length and the packet body), in upper-case hex. Lets a test check
 * a shipped key against its published fingerprint without gpg.
 */
export function openPgpFingerprints(armored: string): string[] {
  const lines = armored.trim().split('\n');
  const body = lines.slice(lines.indexOf('') + 1).filter((l) => l && !l.startsWith('=') && !l.startsWith('-----')).join('');
  const data = Buffer.from(body, 'base64');
  expectCrc24(data, lines.find((l) => /^=[A-Za-z0-9+/]{4}$/.test(l)));
  const fingerprints: string[] = [];
  let i = 0;
  while (i < data.length) {
    const header = data[i];
    if (!(header & 0x80)) throw new Error(`not an OpenPGP packet at byte ${i}`);
    let tag: number;
    let length: number;
    let headerLength: number;
    if (header & 0x40) { // new format
      tag = header & 0x3f;
      const first = data[i + 1];
      if (first < 192) [length, headerLength] = [first, 2];
      else if (first < 224) [length, headerLength] = [((first - 192) << 8) + data[i + 2] + 192, 3];
      else [length, headerLength] = [data.readUInt32BE(i + 2), 6];
    } else { // old format
      tag = (header >> 2) & 0x0f;
      const lengthType = header & 0x03;
      if (lengthType === 0) [length, headerLength] = [data[i + 1], 2];
      else if (lengthType === 1) [length, headerLength] = [data.readUInt16BE(i + 1), 3];
      else [length, headerLength] = [data.readUInt32BE(i + 1), 5];
    }
    const packet = data.subarray(i + headerLength, i + headerLength + length);
    if (tag === 6 || tag === 14) {
      const prefix = Buffer.from([0x99, packet.length >> 8, packet.length & 0xff]);
      fingerprints.push(createHash('sha1').update(prefix).update(packet).digest('hex').toUpperCase());
    }
    i += headerLength + length;
  }
  return fingerprints;
}

// The armor checksum (RFC 4880 6.1) catches a single altered character anywhere in the key.
function expectCrc24(data: Buffer, checksumLine: string | undefined): void {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let bit = 0; bit < 8; bit++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  const expected = checksumLine ? Buffer.from(checksumLine.slice(1), 'base64').readUIntBE(0, 3) : undefined;
  if ((crc & 0xffffff) !== expected) throw new Error('OpenPGP armor checksum mismatch: the key text is damaged');
}
