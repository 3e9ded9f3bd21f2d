import { GasError } from '../../errors.js'
import { DEFAULT_LISTEN, announcedAddresses } from './direct-addresses.js'
import type { DirectAnnounce } from './direct-announce.js'
import { listenDirect, parseHostPort, type DirectListener, type DirectPeer } from './direct-handshake.js'
import type { DirectSecurity } from './direct-proof.js'

/**
 * The serving side of the direct path: a TLS listener whose member-proven connections go to
 * `onPeer`, and the signed announce of where it listens (for the tracker and the LAN).
 */
export interface DirectService {
  readonly listener: DirectListener
  /** our addresses, signed; the same object until the addresses change */
  announce: () => DirectAnnounce
  close: () => Promise<void>
}

export async function startDirectService (opts: {
  /** `HOST:PORT`; undefined: DEFAULT_LISTEN */
  listen?: string
  peerId: string
  publicKey: string
  teamId: string | null
  security: DirectSecurity
  trackers: string[]
  onPeer: (peer: DirectPeer) => void
  onRefused?: (err: GasError, address: string) => void
}): Promise<DirectService> {
  const at = opts.listen === undefined ? DEFAULT_LISTEN : parseHostPort(opts.listen, DEFAULT_LISTEN.host)
  const listener = await listenDirect(at, { peerId: opts.peerId, security: opts.security, onPeer: opts.onPeer, onRefused: opts.onRefused })
  let signed: DirectAnnounce | undefined
  return {
    listener,
    announce: () => {
      const addresses = announcedAddresses({ host: listener.host, port: listener.port }, opts.trackers)
      if (signed === undefined || signed.addresses.join(' ') !== addresses.join(' ')) {
        signed = opts.security.signAnnounce({ peerId: opts.peerId, publicKey: opts.publicKey, teamId: opts.teamId, addresses })
      }
      return signed
    },
    close: async () => await listener.close()
  }
}
