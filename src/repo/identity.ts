import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { GasError } from '../errors.js'

/** A member's Ed25519 key pair; the public key (32 bytes, hex) names the member everywhere. */
export interface Identity { name: string, publicKey: string, privateKeyPem: string }

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export function createIdentity (name: string): Identity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  return { name, publicKey: rawPublicKey(publicKey), privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }
}

function rawPublicKey (key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).subarray(SPKI_ED25519_PREFIX.length).toString('hex')
}

export function publicKeyObject (publicKeyHex: string): KeyObject {
  if (!/^[0-9a-f]{64}$/.test(publicKeyHex)) throw GasError.badArgument('a public key is 64 hex digits')
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(publicKeyHex, 'hex')]), format: 'der', type: 'spki' })
}

export function signBytes (identity: Identity, bytes: Uint8Array): string {
  return sign(null, bytes, createPrivateKey(identity.privateKeyPem)).toString('hex')
}

export function verifyBytes (publicKeyHex: string, bytes: Uint8Array, signatureHex: string): boolean {
  try {
    return verify(null, bytes, publicKeyObject(publicKeyHex), Buffer.from(signatureHex, 'hex'))
  } catch {
    return false
  }
}
