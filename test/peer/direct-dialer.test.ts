import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { peerSecurity } from '../../src/auth/peer-security.js'
import { listenDirect, type DirectListener, type DirectPeer } from '../../src/peer/transport/direct-handshake.js'
import { DirectDialer } from '../../src/peer/transport/direct-dialer.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const listeners: DirectListener[] = []
const dialed: DirectPeer[] = []
afterEach(async () => {
  for (const p of dialed.splice(0)) p.transport.close()
  for (const l of listeners.splice(0)) await l.close()
})

const peerId = (): string => randomBytes(32).toString('hex')

describe('DirectDialer', () => {
  it('an announced address the config already dialed, which reached the announcing process, is not dialed again', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['artist'] })))
    const anaPeerId = peerId()
    const accepted: DirectPeer[] = []
    const listener = await listenDirect({ host: '127.0.0.1', port: 0 }, { peerId: anaPeerId, security: peerSecurity(ana).direct, onPeer: (p) => accepted.push(p) })
    listeners.push(listener)
    const address = `127.0.0.1:${listener.port}`
    const dialer = new DirectDialer({ peerId: peerId(), security: peerSecurity(bo).direct, onPeer: (p) => dialed.push(p) })
    // the invite's address, then the same address in the serve's announce through the tracker
    dialer.dialConfigured(address)
    const announce = peerSecurity(ana).direct.signAnnounce({ peerId: anaPeerId, publicKey: ana.identity.publicKey, teamId: ana.config.team?.id ?? null, addresses: [address] })
    expect(await dialer.dialAnnounced(announce)).toBe(true)
    expect(dialed.map((p) => p.remote.peerId)).toEqual([anaPeerId])
    await expect.poll(() => accepted.length).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(accepted).toHaveLength(1)
    // another process at an address the config dialed is dialed for its own announce
    const other = peerId()
    const second = await listenDirect({ host: '127.0.0.1', port: 0 }, { peerId: other, security: peerSecurity(ana).direct, onPeer: (p) => accepted.push(p) })
    listeners.push(second)
    const otherAnnounce = peerSecurity(ana).direct.signAnnounce({ peerId: anaPeerId, publicKey: ana.identity.publicKey, teamId: ana.config.team?.id ?? null, addresses: [`127.0.0.1:${second.port}`] })
    const fresh = new DirectDialer({ peerId: peerId(), security: peerSecurity(bo).direct, onPeer: (p) => dialed.push(p) })
    fresh.dialConfigured(`127.0.0.1:${second.port}`)
    // it answers as another process than the announce names: not taken for it, dialed as announced, and refused as not the announcer
    expect(await fresh.dialAnnounced(otherAnnounce)).toBe(false)
    await expect.poll(() => accepted.length).toBe(3)
    await ana.close()
    await bo.close()
  })
})
