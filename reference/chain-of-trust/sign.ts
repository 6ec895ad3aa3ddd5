// Both signature forms: OpenPGP clear-signed text (generic-worker 11: public/chainOfTrust.json.asc)
// and a raw 64-byte ed25519 signature over the exact certificate bytes (current: .json + .json.sig).
import { type KeyObject, sign } from 'node:crypto';
import type * as openpgp from 'openpgp';
import { loadOpenpgp } from './openpgp.ts';

/** Clear-signs `text` + newline, as generic-worker 11 clear-signs the certificate JSON. */
export async function clearSign(text: string, key: openpgp.PrivateKey): Promise<string> {
  const pgp = loadOpenpgp();
  const message = await pgp.createCleartextMessage({ text: `${text}\n` });
  return pgp.sign({ message, signingKeys: key, format: 'armored' });
}

export function ed25519Sign(bytes: Buffer, key: KeyObject): Buffer {
  return sign(null, bytes, key);
}
