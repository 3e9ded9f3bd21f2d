import { isHexId } from '../wire/frame.js'

/**
 * "This member's process listens for direct connections at these addresses", signed by its member
 * key. Carried in the tracker's offers and answers (tracker-direct.ts) and in LAN announcements
 * (lan-discovery.ts). The signature only says who claims the addresses: a connection to one is
 * trusted when its own handshake proves that same key and process (`matchesAnnounce`), never
 * because of the announce; a wrong address costs one failed connection attempt.
 */
export interface DirectAnnounce {
  /** the announcing process (HELLO's peerId, 32 bytes hex) */
  peerId: string
  /** its member key, 32 bytes hex */
  publicKey: string
  teamId: string | null
  /** `HOST:PORT`, best first */
  addresses: string[]
  /** 64 bytes hex over announceBytes */
  signature: string
}

export type UnsignedAnnounce = Omit<DirectAnnounce, 'signature'>

/** Signing and checking of announces, injected from src/auth (the member key). */
export interface AnnounceSigner {
  signAnnounce: (announce: UnsignedAnnounce) => DirectAnnounce
  /** whether the signature is the named key's and the team is ours (the key's membership is proven by the handshake) */
  checkAnnounce: (announce: DirectAnnounce) => boolean
}

/** why: a host has a few interfaces; more addresses than this is a peer making us dial the world */
export const MAX_ANNOUNCED_ADDRESSES = 8
/** why: an address is `[v6]:port` at most ~50 characters */
const MAX_ADDRESS_LENGTH = 64

export function announceBytes (a: UnsignedAnnounce): Uint8Array {
  return Buffer.from(`gas-announce-1\0${a.teamId ?? ''}\0${a.peerId}\0${a.publicKey}\0${a.addresses.join(' ')}`)
}

/** The announce in `value` if it has the right shape (signature not checked here), else undefined. */
export function decodeAnnounce (value: unknown): DirectAnnounce | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const a = value as Partial<DirectAnnounce>
  if (!isHexId(a.peerId) || !isHexId(a.publicKey) || !isHexId(a.signature, 64)) return undefined
  if (a.teamId !== null && typeof a.teamId !== 'string') return undefined
  if (!Array.isArray(a.addresses) || a.addresses.length > MAX_ANNOUNCED_ADDRESSES) return undefined
  if (!a.addresses.every((x) => typeof x === 'string' && x.length <= MAX_ADDRESS_LENGTH)) return undefined
  return { peerId: a.peerId as string, publicKey: a.publicKey as string, teamId: a.teamId ?? null, addresses: a.addresses, signature: a.signature as string }
}

/** Whether a connection's proven identity is the one that announced the address it was reached at. */
export function matchesAnnounce (proven: { peerId: string, publicKey: string }, announce: DirectAnnounce): boolean {
  return proven.peerId === announce.peerId && proven.publicKey === announce.publicKey
}
