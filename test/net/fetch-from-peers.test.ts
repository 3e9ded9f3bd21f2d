import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { decodeAsset } from '../../src/objects/asset.js'
import { decodeFileManifest } from '../../src/objects/file-manifest.js'
import { joinSwarm } from '../../src/peer/discovery/discovery.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

describe('fetchFromPeers: named objects from the team, no ref moved', () => {
  it('fetches one file manifest with its chunks, leaves refs and the workspace alone, and reports what no peer had', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    ana.config = { ...ana.config, trackers: [tracker.url] }
    await ana.saveConfig()
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['qa'] })))
    const big = randomBytes(600_000)
    writeFileSync(join(ana.root, 'level.pak'), big)
    writeFileSync(join(ana.root, 'other.bin'), randomBytes(300_000))
    const added = new Map((await gas.add(ana, { paths: [ana.root] })).map((a) => [a.path, a.asset]))
    await gas.commit(ana, { message: 'level' })
    await ana.store.flush()
    const asset = decodeAsset((await ana.store.get(added.get('level.pak') ?? '')).body)
    const manifest = decodeFileManifest((await ana.store.get(asset.file)).body)
    expect(manifest.chunks.length).toBeGreaterThan(2)

    const controller = new AbortController()
    const serving = gas.servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: controller.signal })
    try {
      const missingId = 'ab'.repeat(32)
      const result = await gas.fetchFromPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo), roots: [asset.file, missingId] })
      expect(result.peers).toBe(1)
      expect(result.asked).toEqual(['ana'])
      expect(result.missing).toEqual([missingId])
      for (const chunk of manifest.chunks) expect(await bo.store.has(chunk.id)).toBe(true)
      // nothing else came: the other file's content and the version stay with ana, and no ref moved
      const other = decodeAsset((await ana.store.get(added.get('other.bin') ?? '')).body)
      expect(await bo.store.has(other.file)).toBe(false)
      expect(await bo.head()).toBeUndefined()
      const again = await gas.fetchFromPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo), roots: [asset.file] })
      expect(again.fetched.objects).toBe(0)
      expect(again.missing).toEqual([])
    } finally {
      controller.abort()
      await serving
    }
  })

  it('a person waiting is not held up by a counted peer that never answers, and still gets what only a slow peer holds', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    ana.config = { ...ana.config, trackers: [tracker.url] }
    await ana.saveConfig()
    const member = async (name: string): Promise<gas.Workspace> => {
      const ws = await gas.init({ dir: tmp(), name })
      await joinTeam(ws, JSON.stringify(await createInvite(ana, { publicKey: ws.identity.publicKey, name, roles: ['qa'] })))
      return ws
    }
    const [bo, cy] = await Promise.all([member('bo'), member('cy')])
    writeFileSync(join(cy.root, 'hero.png'), randomBytes(200_000))
    const [added] = await gas.add(cy, { paths: [join(cy.root, 'hero.png')] })
    await cy.store.flush()
    const file = decodeAsset((await cy.store.get(added.asset)).body).file

    // in the swarm, counted by the tracker, but never says HELLO (a peer busy elsewhere, a hung process)
    const silent = await joinSwarm({ trackers: [tracker.url], swarmId: ana.config.team?.id ?? '', peerId: randomBytes(20).toString('hex'), onTransport: () => {} })
    const controller = new AbortController()
    const slowSign = gas.peerSecurity(cy)
    // cy answers HELLO 2 s late: the first peer to answer (ana) does not have the file
    const late = { ...slowSign, sign: async (c: Parameters<typeof slowSign.sign>[0]) => { await new Promise((resolve) => setTimeout(resolve, 2000)); return await slowSign.sign(c) } }
    const serving = [
      gas.servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: controller.signal }),
      gas.servePeers({ ws: cy, trackers: [tracker.url], security: late, signal: controller.signal })
    ]
    try {
      const started = Date.now()
      const waits = { firstPeerWaitMs: 40_000, countedPeersWaitMs: 40_000 }
      const result = await gas.fetchFromPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo), roots: [file], ...waits })
      expect(result.missing).toEqual([])
      expect(result.asked).toContain('cy')
      expect(await bo.store.has(file)).toBe(true)
      // not waited out: the silent peer alone would have held a non-interactive fetch for 40 s
      expect(Date.now() - started).toBeLessThan(30_000)
    } finally {
      controller.abort()
      await Promise.all(serving)
      await silent.leave()
    }
  }, 60_000)

  it('refuses a call without roots', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'solo', team: 'solo' })
    await expect(gas.fetchFromPeers({ ws, trackers: [tracker.url], security: gas.peerSecurity(ws), roots: undefined as unknown as string[] })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
  })
})
