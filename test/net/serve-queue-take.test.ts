import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import * as gas from '../../src/index.js'
import { servePeers, syncWithPeers } from '../../src/peer/sync/peer-node.js'
import type { ServePulled } from '../../src/peer/sync/serve-pull.js'
import { queueWantedContent } from '../../src/peer/sync/content-queue.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { openQueue } from '../../src/schedule/workspace-queue.js'
import { setSchedule } from '../../src/schedule/schedule-settings.js'
import { contentHere } from '../../src/repo/content-here.js'
import { flattenTree, readAsset, readVersion } from '../../src/repo/tree-io.js'
import { makeTeam } from '../helpers/team.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

async function commitFile (ws: gas.Workspace, name: string, bytes: Uint8Array): Promise<string> {
  writeFileSync(join(ws.root, name), bytes)
  await gas.add(ws, { paths: [join(ws.root, name)] })
  const version = await gas.commit(ws, { message: name })
  await ws.store.flush()
  return version
}

/** A window a minute long, twelve hours from now: closed for the test's length. */
function farWindow (): string {
  const later = new Date(Date.now() + 12 * 3600_000)
  const hhmm = (d: Date): string => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
  return `daily ${hhmm(later)}-${hhmm(new Date(later.getTime() + 60_000))} UTC`
}

describe("the transfer queue of a serve and a member's takes", () => {
  it('a take with the window closed queues only what a sync would fetch: not the files of versions the new one replaced', async () => {
    const [ana, bo] = await makeTeam([tmp(), tmp()], ['ana', 'bo'], tracker.url)
    await commitFile(bo, 'level.pak', randomBytes(100_000))
    const v2 = await commitFile(bo, 'level.pak', randomBytes(120_000))
    // ana holds both versions' metadata, none of their content (a sync that left content out)
    await startServeOf(bo, async () => {
      const meta = await syncWithPeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), wantContent: () => false })
      expect(meta.complete).toBe(true)
    })
    expect(await ana.refs.read('refs/heads/main')).toBe(v2)
    const history = await queueWantedContent(ana, { roots: [v2], peers: ['bo'], contentOfHistory: false })
    expect(history.map((i) => [i.path, i.bytes])).toEqual([['level.pak', 120_000]])
    // the workspace default (every version's content) still queues both
    const all = await queueWantedContent(ana, { roots: [v2], peers: ['bo'] })
    expect(all.map((i) => i.bytes).sort()).toEqual([100_000, 120_000])
  })

  it("queued items a member brought come with that member's next sync while a window is open, even when no ref of its is new", async () => {
    const [ana, bo] = await makeTeam([tmp(), tmp()], ['ana', 'bo'], tracker.url)
    const bytes = randomBytes(300_000)
    const version = await commitFile(bo, 'level.pak', bytes)
    // ana took bo's version without its file, and queued the file for a window (as a take in a closed window leaves it)
    await startServeOf(bo, async () => {
      await syncWithPeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), wantContent: () => false })
    })
    expect(await ana.refs.read('refs/heads/main')).toBe(version)
    await queueWantedContent(ana, { roots: [version], peers: ['bo'], contentOfHistory: false })
    expect((await openQueue(ana)).list()).toHaveLength(1)

    // bo reaches ana at her direct address only: the queue's own runs (through the tracker) never meet it, as they miss a member whose sync lasts a second
    bo.config = { ...bo.config, trackers: [] }
    await bo.saveConfig()
    const boSyncs = async (at: string): Promise<gas.PeerSyncResult> => await syncWithPeers({ ws: bo, trackers: [], peers: [at], security: gas.peerSecurity(bo) })
    // a closed window at ana's: bo's sync changes nothing, the item waits
    await setSchedule(ana, { windows: [farWindow()], outsideLimit: 0 })
    const closed = await serveAnd(ana, boSyncs)
    expect(closed.result.peers).toBe(1)
    expect(closed.pulled).toEqual([])
    expect((await openQueue(ana)).list()).toHaveLength(1)

    // the window open: bo's plain sync (nothing new of its) brings the queued file to the serve
    await setSchedule(ana, { windows: [] })
    const open = await serveAnd(ana, boSyncs, 1)
    expect(open.pulled).toMatchObject([{ peer: 'bo', queueTaken: 1 }])
    expect((await openQueue(ana)).list()).toEqual([])
    const { tree } = await readVersion(ana.store, version)
    const asset = await readAsset(ana.store, (await flattenTree(ana.store, tree)).get('level.pak')!)
    expect(await contentHere(ana, asset.file)).toBe(true)
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
  })
})

/** Runs `during` with the direct address of `ws`'s serve (taking what members bring); what the serve took. */
async function serveAnd<T> (ws: gas.Workspace, during: (at: string) => Promise<T>, takes = 0): Promise<{ result: T, pulled: ServePulled[] }> {
  const pulled: ServePulled[] = []
  const stop = new AbortController()
  let listening: (at: string) => void = () => {}
  const at = new Promise<string>((resolve) => { listening = resolve })
  const serving = servePeers({ ws, trackers: [], listen: '127.0.0.1:0', onListening: (a) => listening(`${a.host}:${a.port}`), security: gas.peerSecurity(ws), signal: stop.signal, onPulled: (p) => pulled.push(p) })
  try {
    const result = await during(await at)
    // the serve reports a take once the member it took from is done and gone
    await vi.waitFor(() => expect(pulled.length).toBeGreaterThanOrEqual(takes), { timeout: 20_000, interval: 50 })
    return { result, pulled }
  } finally {
    stop.abort()
    await serving
  }
}

/** Runs `during` while `ws` only answers (no takes). */
async function startServeOf (ws: gas.Workspace, during: () => Promise<void>): Promise<void> {
  const stop = new AbortController()
  const serving = servePeers({ ws, trackers: [], security: gas.peerSecurity(ws), signal: stop.signal, pull: false })
  try {
    await during()
  } finally {
    stop.abort()
    await serving
  }
}
