import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'

/**
 * A throwaway self-signed Ed25519 certificate for the direct path's TLS 1.3 server. Nobody checks
 * its chain: who is at the other end is proven by the member handshake over the TLS exporter
 * (direct-handshake.ts), so the certificate only has to be one OpenSSL accepts. One per process.
 *
 * Written by hand (a fixed DER template, ~40 lines) rather than with an X.509 library: the
 * certificate has no fields that vary except the key and serial, and the libraries that can make
 * one pull in a dozen packages loaded on every `gas sync`.
 */
export interface TlsCredentials { key: string, cert: string }

let processCredentials: TlsCredentials | undefined

/** The credentials of this process (made on first use). */
export function ephemeralCredentials (): TlsCredentials {
  processCredentials ??= selfSignedCertificate()
  return processCredentials
}

export function selfSignedCertificate (): TlsCredentials {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const ed25519 = der(0x30, der(0x06, Buffer.from([0x2b, 0x65, 0x70]))) // AlgorithmIdentifier { 1.3.101.112 }
  const name = der(0x30, der(0x31, der(0x30, Buffer.concat([der(0x06, Buffer.from([0x55, 0x04, 0x03])), der(0x0c, Buffer.from('gas direct'))]))))
  const serial = randomBytes(16)
  // a positive INTEGER in DER's minimal form: no top bit (negative), no leading zero byte ("illegal padding")
  serial[0] = (serial[0] & 0x7f) | 0x40
  // why: fixed dates, far apart: the peer does not check them, and no clock is read
  const validity = der(0x30, Buffer.concat([der(0x17, Buffer.from('200101000000Z')), der(0x17, Buffer.from('491231235959Z'))]))
  const tbs = der(0x30, Buffer.concat([
    der(0xa0, der(0x02, Buffer.from([2]))), // version v3
    der(0x02, serial),
    ed25519,
    name,
    validity,
    name,
    publicKey.export({ type: 'spki', format: 'der' })
  ]))
  const signature = sign(null, tbs, privateKey)
  const certificate = der(0x30, Buffer.concat([tbs, ed25519, der(0x03, Buffer.concat([Buffer.from([0]), signature]))]))
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${certificate.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`
  }
}

/** One DER element: tag, definite length, contents. */
function der (tag: number, contents: Buffer): Buffer {
  const n = contents.length
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff])
  return Buffer.concat([Buffer.from([tag]), length, contents])
}
