import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { DIRECT_HANDSHAKE_TIMEOUT_MS, connectDirect, listenDirect, parseHostPort, type DirectListener } from '../../src/peer/transport/direct-handshake.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { writeRandomFile } from '../fixtures/project.js'
import { useTmp } from '../helpers/tmp.js'
import { cuttingProxy } from '../helpers/cutting-proxy.js'

/**
 * The direct TCP path inside one test process, with real stores, real TLS on 127.0.0.1, a real
 * tracker and real WebRTC beside it: which path carries a sync, what happens to a wrong address,
 * and a connection cut in the middle of a transfer.
 */

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })
const cleanup: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c() })

async function team (opts: { trackers: boolean }): Promise<{ ana: gas.Workspace, bo: gas.Workspace, cy: gas.Workspace, bytes: Buffer }> {
  const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
  if (opts.trackers) ana.config = { ...ana.config, trackers: [tracker.url] }
  await ana.saveConfig()
  const join2 = async (name: string): Promise<gas.Workspace> => {
    const ws = await gas.init({ dir: tmp(), name })
    await joinTeam(ws, JSON.stringify(await createInvite(ana, { publicKey: ws.identity.publicKey, name, roles: ['lead'] })))
    return ws
  }
  const bo = await join2('bo')
  const cy = await join2('cy')
  await writeRandomFile(join(ana.root, 'level.pak'), 8 * 1024 * 1024, 'direct-path')
  await gas.add(ana, { paths: [ana.root] })
  await gas.commit(ana, { message: 'level' })
  await ana.store.flush()
  return { ana, bo, cy, bytes: readFileSync(join(ana.root, 'level.pak')) }
}

/** servePeers in this process; resolves with the direct address once listening (or at once without one). */
async function serve (ws: gas.Workspace, opts: Partial<Parameters<typeof gas.servePeers>[0]> = {}): Promise<string | undefined> {
  const controller = new AbortController()
  let listening: (address: string | undefined) => void = () => {}
  const ready = new Promise<string | undefined>((resolve) => { listening = resolve })
  const serving = gas.servePeers({ ws, trackers: [], security: gas.peerSecurity(ws), signal: controller.signal, onListening: (at) => listening(`${at.host}:${at.port}`), ...opts })
  cleanup.push(async () => { controller.abort(); await serving })
  if (opts.listen === null) return undefined
  return await Promise.race([ready, serving.then(() => undefined)])
}

describe('the direct path beside WebRTC', () => {
  it('a serve announces its address through the tracker: the sync goes over TCP and says so', async () => {
    const { ana, bo, bytes } = await team({ trackers: true })
    await serve(ana, { listen: '127.0.0.1:0' })
    const result = await gas.sync({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
    expect(result.complete).toBe(true)
    expect(result.peers).toBe(1)
    expect(result.routes).toHaveLength(1)
    expect(result.routes[0]).toMatchObject({ transport: 'tcp', type: 'direct' })
    expect(result.routes[0].remote).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
  }, 60_000)

  it('a process of the serve\'s own member that hangs up before HELLO (its sync, done at once) is no peer event; another member that does is one', async () => {
    const { ana, bo } = await team({ trackers: false })
    const events: Array<{ peer: string, state: string, error?: string }> = []
    const address = (await serve(ana, { listen: '127.0.0.1:0', onPeer: (e) => events.push(e) }))!
    // the direct handshake proves the key before HELLO: the same member's process, then bo's, each closing at once
    for (const ws of [ana, bo]) {
      const peer = await connectDirect(parseHostPort(address), { peerId: randomBytes(32).toString('hex'), security: gas.peerSecurity(ws).direct! })
      peer.transport.close()
    }
    for (let waited = 0; events.length === 0 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(events).toEqual([expect.objectContaining({ state: 'closed', error: expect.stringMatching(/lost/) })])
    expect(events[0].peer).not.toBe('ana')
  }, 60_000)

  it('the WebRTC connection the tracker brings beside the direct one is closed unused: the serve sees one peer per sync, none lost', async () => {
    const { ana, bo, bytes } = await team({ trackers: true })
    const events: Array<{ peer: string, state: string, error?: string }> = []
    await serve(ana, { listen: '127.0.0.1:0', onPeer: (e) => events.push(e) })
    for (let run = 1; run <= 3; run++) {
      const result = await gas.sync({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
      expect(result.complete).toBe(true)
      expect(result.routes.map((r) => r.transport)).toEqual(['tcp'])
      // the serve hears of the close after the sync returned
      for (let waited = 0; events.filter((e) => e.state === 'closed').length < run && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(events).toEqual(Array.from({ length: run }, () => [{ peer: 'bo', state: 'connected' }, { peer: 'bo', state: 'closed', error: undefined }]).flat())
    }
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
  }, 90_000)

  it('a peer reachable only over WebRTC is still synced', async () => {
    const { ana, bo, bytes } = await team({ trackers: true })
    await serve(ana, { listen: null })
    const result = await gas.sync({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
    expect(result.complete).toBe(true)
    expect(result.routes.map((r) => r.transport)).toEqual(['webrtc'])
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
  }, 60_000)

  it('an announced address where another member answers is not trusted for the peer: the sync falls back to WebRTC', async () => {
    const { ana, bo, cy, bytes } = await team({ trackers: true })
    // cy, another member, listens; ana's announce names cy's address instead of its own
    const cyListener: DirectListener = await listenDirect({ host: '127.0.0.1', port: 0 }, { peerId: 'cc'.repeat(32), security: gas.peerSecurity(cy).direct, onPeer: (p) => p.transport.close() })
    cleanup.push(async () => await cyListener.close())
    const honest = gas.peerSecurity(ana)
    const lying = { ...honest, direct: { ...honest.direct, signAnnounce: (a: Parameters<typeof honest.direct.signAnnounce>[0]) => honest.direct.signAnnounce({ ...a, addresses: [`127.0.0.1:${cyListener.port}`] }) } }
    await serve(ana, { listen: '127.0.0.1:0', security: lying })
    const result = await gas.sync({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
    expect(result.complete).toBe(true)
    expect(result.peers).toBe(1)
    expect(result.perPeer.map((p) => p.name)).toEqual(['ana'])
    expect(result.routes.map((r) => r.transport)).toEqual(['webrtc'])
    expect(result.dropped).toContainEqual(expect.objectContaining({ peer: `127.0.0.1:${cyListener.port}`, code: 'E_AUTH' }))
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
  }, 60_000)

  // retry: about 1 run in 3 on a clean clone the sync took the handshake's 10 s (a wait on the silent attempt, not yet found; see the session 9 note)
  it('an announced address that accepts but never answers: the WebRTC connection held for it is used after a short wait', { timeout: 60_000 }, async () => {
    const { ana, bo, bytes } = await team({ trackers: true })
    // a port that takes the TCP connection and never speaks TLS: the direct handshake would wait its full timeout
    const held = new Set<Socket>()
    const silent = createServer((socket) => { held.add(socket); socket.on('error', () => {}) })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    cleanup.push(async () => await new Promise<void>((resolve) => { for (const socket of held) socket.destroy(); silent.close(() => resolve()) }))
    const honest = gas.peerSecurity(ana)
    const silentAddress = `127.0.0.1:${(silent.address() as AddressInfo).port}`
    const announcingSilence = { ...honest, direct: { ...honest.direct, signAnnounce: (a: Parameters<typeof honest.direct.signAnnounce>[0]) => honest.direct.signAnnounce({ ...a, addresses: [silentAddress] }) } }
    await serve(ana, { listen: '127.0.0.1:0', security: announcingSilence })
    const started = performance.now()
    const result = await gas.sync({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
    expect(result.complete).toBe(true)
    expect(result.routes.map((r) => r.transport)).toEqual(['webrtc'])
    // not the direct handshake's timeout
    expect(performance.now() - started).toBeLessThan(DIRECT_HANDSHAKE_TIMEOUT_MS)
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
  })

  it('a configured address reaches the team without any tracker; a stranger there is refused', async () => {
    const { ana, bo, bytes } = await team({ trackers: false })
    const address = await serve(ana, { listen: '127.0.0.1:0' })
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/)
    const outsider = await gas.init({ dir: tmp(), name: 'mallory' })
    outsider.config = { ...outsider.config, team: ana.config.team }
    const refused = await gas.sync({ ws: outsider, trackers: [], peers: [address!], security: { ...gas.peerSecurity(outsider), direct: { ...gas.peerSecurity(outsider).direct, prove: async (b) => ({ peerId: b.peerId, name: 'mallory', publicKey: outsider.identity.publicKey, teamId: ana.config.team!.id, certificate: null, signature: '00'.repeat(64) }) } } }).catch((err: gas.GasError) => err)
    expect(refused).toMatchObject({ code: 'E_NO_PEERS' })
    bo.config = { ...bo.config, peers: [address!] }
    const result = await gas.sync({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
    expect(result.complete).toBe(true)
    expect(result.routes.map((r) => r.transport)).toEqual(['tcp'])
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
  }, 60_000)

  it('a TCP connection cut in the middle of a transfer: the next sync fetches only what is missing', async () => {
    const { ana, bo, bytes } = await team({ trackers: false })
    const address = await serve(ana, { listen: '127.0.0.1:0' })
    const [host, port] = address!.split(':')
    // a cable that breaks after 3 MiB from ana to bo
    const cut = await cuttingProxy(host, Number(port), 3 * 1024 * 1024)
    cleanup.push(async () => await new Promise<void>((resolve) => cut.close(() => resolve())))
    const first = await gas.sync({ ws: bo, trackers: [], peers: [`127.0.0.1:${(cut.address() as { port: number }).port}`], security: gas.peerSecurity(bo) }).catch((err: gas.GasError) => err)
    const firstBytes = 'fetched' in first ? first.fetched.bytes : 0
    if ('complete' in first) expect(first.complete).toBe(false)
    const second = await gas.sync({ ws: bo, trackers: [], peers: [address!], security: gas.peerSecurity(bo) })
    expect(second.complete).toBe(true)
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
    // what arrived before the cut is not asked again: the two syncs together move the file about once
    expect(second.fetched.bytes).toBeLessThan(bytes.length - 1024 * 1024)
    expect(firstBytes + second.fetched.bytes).toBeLessThan(bytes.length * 1.25)
  }, 60_000)
})
