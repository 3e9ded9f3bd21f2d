import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { PeerLink } from '../../src/hooks/peer-link.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

describe('the link of git-remote-gas and the LFS agent when no other member is online', () => {
  it('gives up once the tracker counts nobody else, not after the first-peer wait, and does not look again', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    ws.config = { ...ws.config, trackers: [tracker.url] }
    await ws.saveConfig()
    // a first-peer wait far beyond the test's timeout: only the tracker's "nobody else" can end it in time
    const link = new PeerLink({ ws, trackers: [], security: gas.peerSecurity(ws), firstPeerWaitMs: 120_000 })
    try {
      await link.open()
      expect(link.peers).toEqual([])
      expect(link.describePeers()).toMatch(/no peer could be asked: .*no other peer of the team is in the swarm/)
      expect(await link.widen()).toBe(false)
      const fetched = await link.fetch(['ab'.repeat(32)])
      expect(fetched.missing).toEqual(['ab'.repeat(32)])
    } finally {
      await link.close()
      await ws.close()
    }
  }, 30_000)

  it('does not wait for the member\'s own `gas serve`: it is no peer, and counts as answered at once', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    ws.config = { ...ws.config, trackers: [tracker.url] }
    await ws.saveConfig()
    const controller = new AbortController()
    const serving = gas.servePeers({ ws, trackers: [], security: gas.peerSecurity(ws), signal: controller.signal })
    // the serve is in the swarm once a sync meets it (as its own process)
    let ownSeen = 0
    for (let i = 0; i < 5 && ownSeen === 0; i++) {
      ownSeen = await gas.sync({ ws, trackers: [], security: gas.peerSecurity(ws), firstPeerWaitMs: 2_000 }).then((r) => r.ownProcesses, (err) => Number(err.data?.ownProcesses ?? 0))
    }
    expect(ownSeen).toBe(1)
    // the tracker counts the serve: were its handshake lost rather than recognised, the link would wait the first-peer wait, far beyond the test's timeout
    const link = new PeerLink({ ws, trackers: [], security: gas.peerSecurity(ws), firstPeerWaitMs: 120_000 })
    try {
      await link.open()
      expect(link.peers).toEqual([])
      expect(link.describePeers()).toMatch(/this member's own \(its `gas serve`\), which answered: no other member of the team is online/)
    } finally {
      await link.close()
      controller.abort()
      await serving
      await ws.close()
    }
  }, 30_000)
})
