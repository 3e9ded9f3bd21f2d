import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

describe('gas fsck --repair', () => {
  it('sets a damaged object aside, keeps it while no peer has a copy, and replaces it from a peer', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    ana.config = { ...ana.config, trackers: [tracker.url] }
    await ana.saveConfig()
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['lead'] })))
    writeFileSync(join(ana.root, 'notes.txt'), randomBytes(2000).toString('hex'))
    await gas.add(ana, { paths: [ana.root] })
    const v1 = await gas.commit(ana, { message: 'notes' })
    await ana.store.flush()
    const stop = new AbortController()
    const serving = gas.servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: stop.signal })
    try {
      expect((await gasInProcess(bo.root, ['sync', '--once', '--json'])).status).toBe(0)
      // the version object is a loose file: damage it
      const path = bo.store.loose.pathOf(v1)
      const bytes = readFileSync(path)
      bytes[bytes.length - 1] ^= 0xff
      writeFileSync(path, bytes)
      const broken = await gasInProcess(bo.root, ['fsck', '--json'])
      expect(broken.status).toBe(1)
      expect(JSON.parse(broken.stdout).problems.map((p: { id: string }) => p.id)).toContain(v1)

      stop.abort()
      await serving
      // nobody online: the bad copy stays set aside (never deleted), fsck still says so
      const alone = await gasInProcess(bo.root, ['fsck', '--repair', '--json'])
      expect(alone.status).toBe(1)
      const lonely = JSON.parse(alone.stdout)
      expect(lonely.damaged).toContain(v1)
      expect(lonely.repaired).toEqual([])
      expect(lonely.unreachable).toContain('E_NO_PEERS')
      expect((await bo.store.quarantinedObjects()).has(v1)).toBe(true)

      const again = new AbortController()
      const back = gas.servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: again.signal })
      try {
        const fixed = await gasInProcess(bo.root, ['fsck', '--repair'])
        expect(fixed.stdout).toContain('repaired 1 of 1 damaged object(s) from ana')
        expect(fixed.status).toBe(0)
        expect(JSON.parse((await gasInProcess(bo.root, ['fsck', '--json'])).stdout).ok).toBe(true)
        expect((await gasInProcess(bo.root, ['fsck', '--repair'])).stdout).toContain('nothing to repair')
      } finally {
        again.abort()
        await back
      }
    } finally {
      stop.abort()
      await serving
    }
  })
})
