import { randomBytes } from 'node:crypto'
import type { ObjectId, ObjectType } from '../../objects/id.js'
import type { EncodedObject, ObjectStore } from '../../objects/store.js'
import type { Clock, PeerLedger } from './ledger.js'
import type { HelloCertificate, HelloMessage, HelloSchedule } from '../wire/messages.js'
import type { Transport } from '../transport/transport.js'

/** What a PeerSession is opened with, and the limits it enforces on a remote. */

export interface PeerIdentity {
  /** 32 bytes hex, random per process */
  peerId: string
  name: string
  /** Ed25519 public key, 32 bytes hex */
  publicKey: string
  teamId: string | null
  /** our transfer windows, told in HELLO */
  schedule?: HelloSchedule
}

export interface RefEntry { name: string, id: ObjectId }

export interface ReceivedBlock {
  id: ObjectId
  object: EncodedObject
  /** the listener calls this once it no longer reads `object.bytes` (stored or dropped), so the buffer is reused */
  release: () => void
  /** it came over a stream transport (the direct path), where hashing it on another thread pays (received-hasher.ts) */
  fast?: boolean
}

/** What we put in our signed HELLO: the signature over both nonces, and our membership certificate */
export interface HelloProof { signature: string, certificate: HelloCertificate | null }

export interface SessionOptions {
  transport: Transport
  store: ObjectStore
  identity: PeerIdentity
  ledger?: PeerLedger
  clock?: Clock
  /** signs the challenge (the remote's nonce and ours, both 32 bytes hex); with it we send a second, signed HELLO carrying the proof */
  sign?: (challenge: { remoteNonce: string, ourNonce: string }) => HelloProof | Promise<HelloProof>
  /** checks the remote's signed HELLO (signature over our nonce and its own, certificate) against our nonce; throw (E_AUTH) to refuse. With it we wait for the signed HELLO, and nothing is served or accepted before it passes. */
  verify?: (remote: HelloMessage, ourNonce: string) => void | Promise<void>
  /**
   * ACL hook: whether this remote may read this object (default: yes). true serves it; false
   * answers DONT_HAVE as if we did not hold it; 'access-denied' refuses it with that reason
   * (DONT_HAVE_REASON, to a peer that lists the capability). `type` is the object's when it was
   * read for serving (a HAVE question comes without). `remote.certificate` is set only when
   * `verify` checked it.
   */
  mayServe?: MayServe
  handshakeTimeoutMs?: number
}

/** Why an object is refused: told to the requester in DONT_HAVE_REASON. */
export type ServeVerdict = 'access-denied'
export type MayServe = (id: ObjectId, remote: HelloMessage, type?: ObjectType) => boolean | ServeVerdict | Promise<boolean | ServeVerdict>

/** why: a handshake is two or three small frames; a peer silent this long is not going to speak */
export const HANDSHAKE_TIMEOUT_MS = 15_000
/** flood limits (MAX_QUEUED_WANTS and the paces of misses and HAVE queries) live in flood-guard.ts */
export { MAX_QUEUED_WANTS } from './flood-guard.js'
/** why: enough store reads in flight to keep the thread pool (4 threads) busy; a later high-priority WANT waits behind at most these */
export const SERVE_READ_AHEAD = 8
/** why: a refused peer closes as soon as our GOODBYE arrives; one that does not is closed after this */
export const GOODBYE_LINGER_MS = 2_000
/** why: frames a fast remote may send right behind its HELLO while we still verify it */
export const MAX_EARLY_FRAMES = 256
/** why: one advertisement lists a team's branches, tags and builds; beyond this it is an attack on our memory */
export const MAX_ADVERTISED_REFS = 100_000

export function randomIdentity (name: string, teamId: string | null = null): PeerIdentity {
  return { peerId: randomBytes(32).toString('hex'), name, publicKey: randomBytes(32).toString('hex'), teamId }
}
