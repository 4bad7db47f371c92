import { createHash } from 'node:crypto';

// Just enough OpenPGP (RFC 4880) to pin an apt signing key by fingerprint at synth time, without gpg:
// the armor, its checksum, the packet framing and v4 fingerprints.

const BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const END = '-----END PGP PUBLIC KEY BLOCK-----';
// Secret-key and secret-subkey packets: a private key is a credential, never synthesized.
const SECRET_TAGS = new Set([5, 7]);
const PUBLIC_KEY_TAG = 6;
const PUBLIC_SUBKEY_TAG = 14;

/** One OpenPGP packet: its tag and body. */
interface Packet {
  readonly tag: number;
  readonly body: Buffer;
}

/**
 * The v4 fingerprints of the public key and subkey packets in an ASCII-armored OpenPGP key (RFC 4880
 * 12.2: SHA-1 over 0x99, a two-byte length and the packet body), in upper-case hex, primary key first.
 * Throws when the armor or its checksum is damaged.
 */
export function openPgpFingerprints(armored: string): string[] {
  return packets(dearmor(armored))
    .filter((p) => p.tag === PUBLIC_KEY_TAG || p.tag === PUBLIC_SUBKEY_TAG)
    .map((p) => fingerprint(p.body));
}

/**
 * Checks an apt signing key prop: one armored public key block (no private key), intact, whose
 * primary key's fingerprint is `fingerprint` (spaces and case ignored). Returns the key with Unix
 * line ends and a final newline, and the fingerprint in upper-case hex.
 */
/** An apt signing key as a prop gives it (AptSigningKey), and as validateAptSigningKey returns it (ResolvedAptSigningKey). */
export interface SigningKey {
  readonly armored: string;
  readonly fingerprint: string;
}

export function validateAptSigningKey(owner: string, prop: string, key: SigningKey | undefined): SigningKey {
  // `field` joins the quoted prop: RunnerChart 'aptMirror.signingKey.armored'.
  const fail = (why: string, field?: 'armored' | 'fingerprint'): never => {
    throw new Error(`${owner} '${prop}${field ? `.${field}` : ''}' ${why}`);
  };
  if (typeof key !== 'object' || key === null) return fail(`must be { armored, fingerprint }, got ${JSON.stringify(key)}`);
  if (typeof key.fingerprint !== 'string' || !/^[0-9A-Fa-f]{40}$/.test(key.fingerprint.replace(/ /g, ''))) {
    fail(`must be 40 hexadecimal digits (spaces allowed), got ${JSON.stringify(key.fingerprint)}`, 'fingerprint');
  }
  const wanted = key.fingerprint.replace(/ /g, '').toUpperCase();
  if (typeof key.armored !== 'string') return fail(`must be an ASCII-armored public key, got ${JSON.stringify(key.armored)}`, 'armored');
  const armored = key.armored.replace(/\r\n/g, '\n').trim();
  if (/PRIVATE\s+KEY/.test(armored)) fail('is a private key: give the public key (gpg --armor --export), never a private one', 'armored');
  // Printable ASCII only: it is written into the cloud-config and an apt keyring file.
  if (!armored.startsWith(`${BEGIN}\n`) || !armored.endsWith(`\n${END}`) || !/^[\x20-\x7e\n]*$/.test(armored)
    || armored.split(BEGIN).length !== 2) {
    fail(`must be one ASCII-armored public key block (${BEGIN} ... ${END}), as gpg --armor --export writes it`, 'armored');
  }
  let parsed: Packet[];
  try {
    parsed = packets(dearmor(armored));
  } catch (error) {
    return fail(`cannot be read: ${(error as Error).message}`, 'armored');
  }
  if (parsed.some((p) => SECRET_TAGS.has(p.tag))) fail('holds a private key: give the public key only', 'armored');
  const primary = parsed.find((p) => p.tag === PUBLIC_KEY_TAG);
  if (primary === undefined) return fail('holds no public key', 'armored');
  const actual = fingerprint(primary.body);
  if (actual !== wanted) fail(`is the key ${actual}, not the fingerprint ${wanted}: check that the key is the one you meant`, 'armored');
  return Object.freeze({ armored: `${armored}\n`, fingerprint: wanted });
}

function fingerprint(body: Buffer): string {
  const prefix = Buffer.from([0x99, body.length >> 8, body.length & 0xff]);
  return createHash('sha1').update(prefix).update(body).digest('hex').toUpperCase();
}

function dearmor(armored: string): Buffer {
  const lines = armored.replace(/\r\n/g, '\n').trim().split('\n');
  const blank = lines.indexOf('');
  if (blank < 0) throw new Error('no blank line after the armor header');
  const body = lines.slice(blank + 1).filter((l) => l && !l.startsWith('=') && !l.startsWith('-----')).join('');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new Error('the armored text is not base64');
  const data = Buffer.from(body, 'base64');
  expectCrc24(data, lines.find((l) => /^=[A-Za-z0-9+/]{4}$/.test(l)));
  return data;
}

function packets(data: Buffer): Packet[] {
  const result: Packet[] = [];
  let i = 0;
  const byte = (at: number): number => {
    if (at >= data.length) throw new Error('an OpenPGP packet is cut short');
    return data[at];
  };
  while (i < data.length) {
    const header = data[i];
    if (!(header & 0x80)) throw new Error(`not an OpenPGP packet at byte ${i}`);
    let tag: number;
    let length: number;
    let headerLength: number;
    if (header & 0x40) { // new format
      tag = header & 0x3f;
      const first = byte(i + 1);
      if (first < 192) [length, headerLength] = [first, 2];
      else if (first < 224) [length, headerLength] = [((first - 192) << 8) + byte(i + 2) + 192, 3];
      else if (first === 255) [length, headerLength] = [(byte(i + 2) << 24 >>> 0) + (byte(i + 3) << 16) + (byte(i + 4) << 8) + byte(i + 5), 6];
      else throw new Error('partial-length OpenPGP packets are not a key');
    } else { // old format
      tag = (header >> 2) & 0x0f;
      const lengthType = header & 0x03;
      if (lengthType === 0) [length, headerLength] = [byte(i + 1), 2];
      else if (lengthType === 1) [length, headerLength] = [(byte(i + 1) << 8) + byte(i + 2), 3];
      else if (lengthType === 2) [length, headerLength] = [(byte(i + 1) << 24 >>> 0) + (byte(i + 2) << 16) + (byte(i + 3) << 8) + byte(i + 4), 5];
      else throw new Error('indeterminate-length OpenPGP packets are not a key');
    }
    if (i + headerLength + length > data.length) throw new Error('an OpenPGP packet is cut short');
    result.push({ tag, body: data.subarray(i + headerLength, i + headerLength + length) });
    i += headerLength + length;
  }
  return result;
}

// The armor checksum (RFC 4880 6.1) catches a single altered character anywhere in the key. RFC 9580
// made it optional (Sequoia leaves it out): without one, the fingerprint pin still holds the primary key.
function expectCrc24(data: Buffer, checksumLine: string | undefined): void {
  if (checksumLine === undefined) return;
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let bit = 0; bit < 8; bit++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  const expected = Buffer.from(checksumLine.slice(1), 'base64').readUIntBE(0, 3);
  if ((crc & 0xffffff) !== expected) throw new Error('OpenPGP armor checksum mismatch: the key text is damaged');
}
