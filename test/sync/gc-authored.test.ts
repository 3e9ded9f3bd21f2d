import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { servePeers, syncWithPeers } from '../../src/peer/sync/peer-node.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { makeTeam } from '../helpers/team.js'
import { useTmp } from '../helpers/tmp.js'

/** gc keeps what this member authored: its own changes, not what its merges took in from others. */

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

async function commitFile (ws: gas.Workspace, path: string, bytes: Uint8Array, message: string): Promise<string> {
  mkdirSync(join(ws.root, path, '..'), { recursive: true })
  writeFileSync(join(ws.root, path), bytes)
  await gas.add(ws, { paths: [join(ws.root, path)] })
  const version = await gas.commit(ws, { message })
  await ws.store.flush()
  return version
}

describe('gas gc after a merge', () => {
  it("drops a teammate's file its own merge took in (it said `you authored it` and kept it), keeps its own", async () => {
    const [ana, dee] = await makeTeam([tmp(), tmp()], ['ana', 'dee'], tracker.url)
    await commitFile(ana, 'notes.txt', Buffer.from('base\n'), 'base')
    const controller = new AbortController()
    const serving = servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: controller.signal, pull: false })
    try {
      expect((await syncWithPeers({ ws: dee, trackers: [], security: gas.peerSecurity(dee) })).complete).toBe(true)
      // both commit at once: dee's sync merges ana's texture into dee's branch
      await commitFile(ana, 'art/bo.png', randomBytes(200_000), 'texture')
      await commitFile(dee, 'sfx/hit.wav', randomBytes(100_000), 'sound')
      const merged = await syncWithPeers({ ws: dee, trackers: [], security: gas.peerSecurity(dee) })
      expect(merged.merge?.version).toMatch(/^[0-9a-f]{64}$/)
    } finally {
      controller.abort()
      await serving
    }
    await gas.addOverride(dee, { action: 'exclude', pattern: 'art/' })
    await gas.addOverride(dee, { action: 'exclude', pattern: 'sfx/' })
    const planned = await gas.gc(dee, { dryRun: true })
    expect(planned.keptAuthored).toEqual(['sfx/hit.wav'])
    expect(planned.paths).toContain('art/bo.png')
    expect(planned.dropped.bytes).toBeGreaterThanOrEqual(200_000)
    expect(planned.dropped.bytes).toBeLessThan(300_000)
  })
})

describe('gas gc and git repositories pushed through gas', () => {
  it("neither drops nor lists a repository state's files (refs, packs/*.pack), which no rule chooses among", async () => {
    const [ana, dee] = await makeTeam([tmp(), tmp()], ['ana', 'dee'], tracker.url)
    const base = await commitFile(ana, 'notes.txt', Buffer.from('base\n'), 'base')
    // a state of refs/git/game as git-remote-gas records it: a version whose tree holds a refs list and a pack, on no branch
    writeFileSync(join(ana.root, 'refs'), `${'a'.repeat(40)} refs/heads/main\n`)
    const state = await commitFile(ana, `packs/${'b'.repeat(40)}.pack`, randomBytes(150_000), 'push')
    await ana.refs.update({ name: 'refs/git/game', newId: state, message: 'push', who: 'ana', now: Date.now() })
    await ana.refs.update({ name: 'refs/heads/main', newId: base, expectedOld: state, message: 'back', who: 'ana', now: Date.now() })
    const controller = new AbortController()
    const serving = servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: controller.signal, pull: false })
    try {
      expect((await syncWithPeers({ ws: dee, trackers: [], security: gas.peerSecurity(dee) })).complete).toBe(true)
    } finally {
      controller.abort()
      await serving
    }
    expect(await dee.refs.read('refs/git/game')).toBe(state)
    // dee's rules now want nothing under packs/ or refs: a workspace file there would go
    await gas.addOverride(dee, { action: 'exclude', pattern: 'packs/' })
    await gas.addOverride(dee, { action: 'exclude', pattern: 'refs' })
    const planned = await gas.gc(dee, { dryRun: true })
    expect(planned.paths).toEqual([])
    expect(planned.keptAuthored).toEqual([])
    expect(planned.dropped.bytes).toBe(0)
  })
})
