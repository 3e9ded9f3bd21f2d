import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import * as gas from '../../src/index.js'
import { servePeers, syncWithPeers } from '../../src/peer/sync/peer-node.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { holdFirstTake, makeTeam } from '../helpers/team.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

async function commitFile (ws: gas.Workspace, name: string): Promise<string> {
  writeFileSync(join(ws.root, name), `${name}\n`)
  await gas.add(ws, { paths: [join(ws.root, name)] })
  const version = await gas.commit(ws, { message: name })
  await ws.store.flush()
  return version
}

describe('a peer that reaches a sync after it chose its peers', () => {
  it('is served and told DONE, is not listed among the sync\'s routes, and does not see it dropped when it ends', async () => {
    const [ana, bo, cy] = await makeTeam([tmp(), tmp(), tmp()], ['ana', 'bo', 'cy'], tracker.url)
    await commitFile(ana, 'notes.txt')
    const controller = new AbortController()
    // bo's sync lingers while the serve takes its version (3 s here, under its 5 s idle): cy arrives meanwhile
    const { policy, takes } = holdFirstTake(3_000)
    const serving = servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: controller.signal, policy })
    try {
      const sync = async (ws: gas.Workspace): Promise<Awaited<ReturnType<typeof syncWithPeers>>> => await syncWithPeers({ ws, trackers: [], security: gas.peerSecurity(ws) })
      for (const ws of [bo, cy]) expect((await sync(ws)).complete).toBe(true)
      const boHead = await commitFile(bo, 'bo.txt')
      const boSync = sync(bo)
      await vi.waitFor(() => expect(takes()).toBe(1), { timeout: 20_000, interval: 50 })
      const cyResult = await sync(cy)
      const boResult = await boSync
      // bo chose ana alone; cy reached it late: served (cy has bo's version), not synced with
      expect(boResult.routes.map((r) => r.member)).toEqual(['ana'])
      expect(boResult.peers).toBe(1)
      expect(cyResult.dropped).toEqual([])
      expect(await cy.store.has(boHead)).toBe(true)
    } finally {
      controller.abort()
      await serving
    }
  }, 60_000)
})
