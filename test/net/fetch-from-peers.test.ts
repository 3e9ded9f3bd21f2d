import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { decodeAsset } from '../../src/objects/asset.js'
import { decodeFileManifest } from '../../src/objects/file-manifest.js'
import { startTracker, type RunningTracker } from '../../src/peer/tracker.js'
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

  it('refuses a call without roots', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'solo', team: 'solo' })
    await expect(gas.fetchFromPeers({ ws, trackers: [tracker.url], security: gas.peerSecurity(ws), roots: undefined as unknown as string[] })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
  })
})
