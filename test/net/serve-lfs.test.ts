import { randomBytes, createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { decodeFileManifest } from '../../src/objects/file-manifest.js'
import { storeLfsObject, lfsRefName } from '../../src/hooks/lfs-store.js'
import { servePeers, syncWithPeers } from '../../src/peer/sync/peer-node.js'
import type { ServePulled } from '../../src/peer/sync/serve-pull.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { makeTeam } from '../helpers/team.js'
import { useTmp } from '../helpers/tmp.js'

/**
 * A member's Git LFS objects (what its `git push` stored under refs/lfs/<oid>) stay with the serve
 * it syncs with, so a teammate's `git pull` finds them once the member has left.
 */

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

describe('a serve keeps the Git LFS objects a member brings', () => {
  it('takes them with the member versions, records refs/lfs/<oid> only for content that hashes to the oid, and says so', async () => {
    const [ana, bo] = await makeTeam([tmp(), tmp()], ['ana', 'bo'], tracker.url)
    const pulled: ServePulled[] = []
    const controller = new AbortController()
    const serving = servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: controller.signal, onPulled: (p) => pulled.push(p) })
    try {
      const content = randomBytes(300_000)
      const file = join(tmp(), 'hero.png')
      writeFileSync(file, content)
      const oid = createHash('sha256').update(content).digest('hex')
      const stored = await storeLfsObject(bo, { path: file, expectedOid: oid })
      // a second ref of bo's names that manifest under another oid: not content of that oid, never recorded
      const forged = 'f'.repeat(64)
      await bo.refs.update({ name: lfsRefName(forged), newId: stored.fileId, message: 'forged', who: 'bo', now: Date.now() })
      await bo.store.flush()

      const result = await syncWithPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
      expect(result.complete).toBe(true)
      expect(result.sent.bytes).toBeGreaterThanOrEqual(300_000)
      await expect.poll(() => pulled.length).toBe(1)
      expect(pulled[0]).toMatchObject({ peer: 'bo', lfsTaken: 1 })
      expect(await ana.refs.read(lfsRefName(oid))).toBe(stored.fileId)
      expect(await ana.refs.read(lfsRefName(forged))).toBeUndefined()
      const manifest = decodeFileManifest((await ana.store.get(stored.fileId)).body)
      for (const chunk of manifest.chunks) expect(await ana.store.has(chunk.id, 'chunk')).toBe(true)

      // held now: bo's next sync gives the serve nothing to take (the forged ref is not taken again either: its manifest is here)
      expect((await syncWithPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })).complete).toBe(true)
      expect(pulled).toHaveLength(1)
    } finally {
      controller.abort()
      await serving
    }
  })

  it('content the serve holds already (the same bytes as an asset) is named at once, with nothing to take', async () => {
    const [ana, bo] = await makeTeam([tmp(), tmp()], ['ana', 'bo'], tracker.url)
    const content = randomBytes(200_000)
    writeFileSync(join(ana.root, 'hero.png'), content)
    await gas.add(ana, { paths: [join(ana.root, 'hero.png')] })
    await gas.commit(ana, { message: 'hero' })
    await ana.store.flush()
    const pulled: ServePulled[] = []
    const controller = new AbortController()
    const serving = servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: controller.signal, onPulled: (p) => pulled.push(p) })
    try {
      expect((await syncWithPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })).complete).toBe(true)
      const file = join(tmp(), 'hero.png')
      writeFileSync(file, content)
      const oid = createHash('sha256').update(content).digest('hex')
      const stored = await storeLfsObject(bo, { path: file, expectedOid: oid })
      await bo.store.flush()
      expect((await syncWithPeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })).sent.bytes).toBeLessThan(content.length)
      await expect.poll(async () => await ana.refs.read(lfsRefName(oid))).toBe(stored.fileId)
      expect(pulled).toEqual([])
    } finally {
      controller.abort()
      await serving
    }
  })
})
