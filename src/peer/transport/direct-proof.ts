import { GasError } from '../../errors.js'
import { isHexId } from '../wire/frame.js'
import type { AnnounceSigner } from './direct-announce.js'
import type { HelloCertificate } from '../wire/messages.js'

/**
 * The first frame each side sends on a direct (TLS) connection: who it is, and its member key's
 * signature over the connection's TLS exporter value. The exporter is derived from this TLS
 * session's secrets, so the signature is worthless on any other connection: a relay or a
 * man in the middle holds two TLS sessions with two different exporters. src/auth makes and
 * checks the signature; this layer only carries it.
 */
export interface DirectProof {
  /** 32 bytes hex, random per process (HELLO's peerId): tells two connections to one process apart from two processes */
  peerId: string
  name: string
  /** Ed25519 public key, 32 bytes hex */
  publicKey: string
  teamId: string | null
  certificate: HelloCertificate | null
  /** 64 bytes hex */
  signature: string
}

/** What a proof is bound to: this connection's exporter value, and the signer's side of it. */
export interface DirectBinding {
  /** RFC 5705/8446 exporter of this TLS session, 32 bytes hex */
  exporter: string
  /** the signer's side: a client's proof cannot be reflected back as the server's */
  role: 'client' | 'server'
}

/** Member signing and checking of direct proofs (and of address announces), injected from src/auth. */
export interface DirectSecurity extends AnnounceSigner {
  prove: (binding: DirectBinding & { peerId: string }) => DirectProof | Promise<DirectProof>
  /** throws (E_AUTH, E_BAD_SIGNATURE) unless `proof` is a member of our team signing `binding` */
  check: (proof: DirectProof, binding: DirectBinding) => void | Promise<void>
}

/** why: a proof is a key, a signature and a certificate with its issuer's (~1.5 KiB); more is not a proof */
export const MAX_PROOF_BYTES = 8192

export function encodeDirectProof (proof: DirectProof): Uint8Array {
  return Buffer.from(JSON.stringify(proof))
}

export function decodeDirectProof (frame: Uint8Array, from: string): DirectProof {
  const fail = (why: string): GasError => new GasError('E_AUTH', `${from} did not open the direct connection with a member proof: ${why}`, { peer: from })
  if (frame.byteLength > MAX_PROOF_BYTES) throw fail(`${frame.byteLength} bytes`)
  let value: Partial<DirectProof>
  try {
    value = JSON.parse(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('utf8')) as Partial<DirectProof>
  } catch {
    throw fail('not JSON')
  }
  if (typeof value !== 'object' || value === null) throw fail('not an object')
  if (!isHexId(value.peerId) || !isHexId(value.publicKey) || !isHexId(value.signature, 64)) throw fail('peerId, publicKey and signature must be hex')
  if (typeof value.name !== 'string' || (value.teamId !== null && typeof value.teamId !== 'string')) throw fail('name and teamId must be strings')
  const cert = value.certificate
  if (cert !== null && !isCertificateShape(cert, 1)) throw fail('malformed certificate')
  return { peerId: value.peerId as string, name: value.name, publicKey: value.publicKey as string, teamId: value.teamId ?? null, certificate: cert ?? null, signature: value.signature as string }
}

function isCertificateShape (cert: unknown, depth: number): cert is HelloCertificate {
  if (typeof cert !== 'object' || cert === null) return false
  const c = cert as Partial<HelloCertificate>
  const member = c.member
  if (typeof c.team !== 'string' || !isHexId(c.signature, 64) || typeof member !== 'object' || member === null) return false
  if (typeof member.name !== 'string' || !isHexId(member.publicKey) || !Array.isArray(member.roles) || !member.roles.every((r) => typeof r === 'string')) return false
  return c.issuer === undefined || (depth > 0 && isCertificateShape(c.issuer, depth - 1))
}
