import { randomBytes } from 'node:crypto'
import { connect as netConnect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { peerSecurity } from '../../src/auth/peer-security.js'
import { directSecurity } from '../../src/auth/direct-proof.js'
import { connectDirect, listenDirect, parseHostPort, type DirectListener, type DirectPeer } from '../../src/peer/transport/direct-handshake.js'
import type { DirectSecurity } from '../../src/peer/transport/direct-proof.js'
import { useTmp } from '../helpers/tmp.js'

/** The direct path's member handshake over real TLS 1.3 sockets on 127.0.0.1. */

const tmp = useTmp()
const listeners: DirectListener[] = []
afterEach(async () => { for (const l of listeners.splice(0)) await l.close() })

async function team (): Promise<{ ana: gas.Workspace, bo: gas.Workspace, stranger: gas.Workspace, rival: gas.Workspace }> {
  const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
  const bo = await gas.init({ dir: tmp(), name: 'bo' })
  await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['artist'] })))
  // claims the team but holds no certificate of it
  const stranger = await gas.init({ dir: tmp(), name: 'mallory' })
  stranger.config = { ...stranger.config, team: ana.config.team }
  // a member of another team
  const rival = await gas.init({ dir: tmp(), name: 'rita', team: 'elves' })
  return { ana, bo, stranger, rival }
}

const peerId = (): string => randomBytes(32).toString('hex')

/** A stranger's prover: a valid signature with its own key, claiming the team, with no certificate (it has none) */
function withoutCertificate (ws: gas.Workspace): DirectSecurity {
  return directSecurity(ws.identity, ws.config.team, async () => null)
}

async function serve (ws: gas.Workspace): Promise<{ listener: DirectListener, peers: DirectPeer[], refused: string[] }> {
  const peers: DirectPeer[] = []
  const refused: string[] = []
  const listener = await listenDirect({ host: '127.0.0.1', port: 0 }, {
    peerId: peerId(),
    security: peerSecurity(ws).direct,
    onPeer: (p) => peers.push(p),
    onRefused: (err) => refused.push(err.code)
  })
  listeners.push(listener)
  return { listener, peers, refused }
}

describe('direct handshake', () => {
  it('members complete it both ways and frames flow over the connection', async () => {
    const { ana, bo } = await team()
    const served = await serve(ana)
    const client = await connectDirect({ host: '127.0.0.1', port: served.listener.port }, { peerId: peerId(), security: peerSecurity(bo).direct })
    expect(client.remote.publicKey).toBe(ana.identity.publicKey)
    await expect.poll(() => served.peers.length).toBe(1)
    expect(served.peers[0].remote.publicKey).toBe(bo.identity.publicKey)
    const got: Uint8Array[] = []
    served.peers[0].transport.onFrame((f) => got.push(Buffer.from(f)))
    const big = randomBytes(64 * 1024)
    for (let i = 0; i < 40; i++) await client.transport.send(big)
    await client.transport.send(Buffer.from('end'))
    await expect.poll(() => got.length).toBe(41)
    expect(got.slice(0, 40).every((f) => Buffer.compare(f, big) === 0)).toBe(true)
    client.transport.close()
    await new Promise<void>((resolve) => served.peers[0].transport.onClose(() => resolve()))
  })

  it('refuses a key without a certificate of the team, and a member of another team', async () => {
    const { ana, stranger, rival } = await team()
    const served = await serve(ana)
    const to = { host: '127.0.0.1', port: served.listener.port }
    // the server hangs up without a word; the client says what that means, not that a connection was lost
    const hungUp = { code: 'E_AUTH', message: expect.stringContaining('hung up after our membership proof') }
    await expect(connectDirect(to, { peerId: peerId(), security: withoutCertificate(stranger) })).rejects.toMatchObject(hungUp)
    await expect(connectDirect(to, { peerId: peerId(), security: peerSecurity(rival).direct })).rejects.toMatchObject(hungUp)
    await expect.poll(() => served.refused.length).toBe(2)
    expect(served.refused.every((code) => code === 'E_AUTH')).toBe(true)
    expect(served.peers).toHaveLength(0)
  })

  it('a client refuses a server that is not a member, before sending anything else', async () => {
    const { ana, rival } = await team()
    const served = await serve(rival)
    // the rival's server refuses ana first (another team): ana never sees a proof
    await expect(connectDirect({ host: '127.0.0.1', port: served.listener.port }, { peerId: peerId(), security: peerSecurity(ana).direct })).rejects.toThrow()
    // a server that accepts anyone but is not of ana's team is refused by ana
    const open = await listenDirect({ host: '127.0.0.1', port: 0 }, { peerId: peerId(), security: { ...peerSecurity(rival).direct, check: () => {} }, onPeer: () => {} })
    listeners.push(open)
    await expect(connectDirect({ host: '127.0.0.1', port: open.port }, { peerId: peerId(), security: peerSecurity(ana).direct })).rejects.toMatchObject({ code: 'E_AUTH' })
  })

  it('a proof replayed from another connection does not pass (bound to the TLS exporter)', async () => {
    const { ana, bo } = await team()
    const served = await serve(ana)
    const boSecurity = peerSecurity(bo).direct
    let recorded: Awaited<ReturnType<DirectSecurity['prove']>> | undefined
    const recorder: DirectSecurity = { prove: async (b) => (recorded = await boSecurity.prove(b)), check: boSecurity.check }
    const first = await connectDirect({ host: '127.0.0.1', port: served.listener.port }, { peerId: peerId(), security: recorder })
    first.transport.close()
    const replay: DirectSecurity = { prove: () => recorded!, check: () => {} }
    await expect(connectDirect({ host: '127.0.0.1', port: served.listener.port }, { peerId: peerId(), security: replay })).rejects.toThrow()
    await expect.poll(() => served.refused).toEqual(['E_AUTH'])
  })

  it('garbage and silence on the port never reach onPeer, and the listener keeps serving', async () => {
    const { ana, bo } = await team()
    const served = await serve(ana)
    const raw = netConnect(served.listener.port, '127.0.0.1')
    await new Promise((resolve) => raw.once('connect', resolve))
    raw.end('GET / HTTP/1.0\r\n\r\n')
    await new Promise((resolve) => raw.once('close', resolve))
    const member = await connectDirect({ host: '127.0.0.1', port: served.listener.port }, { peerId: peerId(), security: peerSecurity(bo).direct })
    expect(member.remote.name).toBe('ana')
    member.transport.close()
  })

  it('times out a server that never answers', async () => {
    const { bo } = await team()
    const silent = await listenDirect({ host: '127.0.0.1', port: 0 }, { peerId: peerId(), security: { prove: () => new Promise(() => {}), check: () => {} }, onPeer: () => {} })
    listeners.push(silent)
    await expect(connectDirect({ host: '127.0.0.1', port: silent.port }, { peerId: peerId(), security: peerSecurity(bo).direct, handshakeTimeoutMs: 300 })).rejects.toMatchObject({ code: 'E_TIMEOUT' })
  })

  it('parses addresses and refuses what is not one', () => {
    expect(parseHostPort('127.0.0.1:7480')).toEqual({ host: '127.0.0.1', port: 7480 })
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 })
    expect(parseHostPort(':0', '0.0.0.0')).toEqual({ host: '0.0.0.0', port: 0 })
    for (const bad of ['host', '1.2.3.4:99999', ':80', 'a:b']) expect(() => parseHostPort(bad)).toThrow(/not an address/)
  })
})
