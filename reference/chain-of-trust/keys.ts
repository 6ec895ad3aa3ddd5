// Chain-of-trust keys in generic-worker's file formats: ed25519 = base64 of the 32-byte seed (private)
// and of the 32-byte raw key (public); OpenPGP = armored keys. Conversion to node KeyObjects uses the
// fixed DER prefixes of PKCS#8 / SPKI for Ed25519 (RFC 8410), so no hand-rolled crypto is involved.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
// openpgp (a 1.6 MB bundle) loads with the first OpenPGP key, not with the worker.
import type * as openpgp from 'openpgp';
import { loadOpenpgp } from './openpgp.ts';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export class KeyError extends Error {}

function raw32(text: string, what: string): Buffer {
  const bytes = Buffer.from(text.trim(), 'base64');
  if (bytes.length !== 32) throw new KeyError(`${what}: expected base64 of 32 bytes, got ${bytes.length} bytes`);
  return bytes;
}

export function ed25519PrivateKeyFromSeed(base64Seed: string, what = 'ed25519 private key'): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, raw32(base64Seed, what)]),
    format: 'der',
    type: 'pkcs8',
  });
}

export function ed25519PublicKeyFromBase64(base64Key: string, what = 'ed25519 public key'): KeyObject {
  return createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, raw32(base64Key, what)]),
    format: 'der',
    type: 'spki',
  });
}

/** PEM SPKI form of a base64 raw public key (what `openssl pkeyutl -verify -pubin` reads). */
export function ed25519PublicKeyPem(base64Key: string): string {
  return ed25519PublicKeyFromBase64(base64Key).export({ format: 'pem', type: 'spki' }).toString();
}

/** base64 raw public key of a private key (for printing and tests). */
export function ed25519PublicKeyBase64(privateKey: KeyObject): string {
  return Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url').toString('base64');
}

export async function loadEd25519PrivateKey(file: string): Promise<KeyObject> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new KeyError(`Was not able to open chain of trust signing key file '${file}': ${(err as Error).message}`);
  }
  return ed25519PrivateKeyFromSeed(text, `ed25519 signing key file '${file}'`);
}

export async function loadOpenpgpPrivateKey(file: string): Promise<openpgp.PrivateKey> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new KeyError(`Was not able to open chain of trust signing key file '${file}': ${(err as Error).message}`);
  }
  try {
    const pgp = loadOpenpgp();
    const key = await pgp.readPrivateKey({ armoredKey: text });
    if (!key.isDecrypted()) throw new Error('the key is passphrase-protected');
    return key;
  } catch (err) {
    throw new KeyError(`OpenPGP signing key file '${file}' is not usable: ${(err as Error).message}`);
  }
}
