import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { peerSecurity } from '../../src/auth/peer-security.js'
import { servePeers, syncWithPeers } from '../../src/peer/sync/peer-node.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { setSchedule } from '../../src/schedule/schedule-settings.js'
import { clearArrivingHeads, readArrivingHeads, recordArrivingHeads } from '../../src/repo/arriving-heads.js'
import { peerHeadDistances } from '../../src/repo/peer-heads.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { makePng } from '../fixtures/textures.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

const ID_A = 'a'.repeat(64)
const ID_B = 'b'.repeat(64)

async function lead (): Promise<[gas.Workspace, gas.Workspace]> {
  const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
  const bo = await gas.init({ dir: tmp(), name: 'bo' })
  await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['lead'] })))
  return [ana, bo]
}

describe('a sync names the heads whose content it is fetching', () => {
  it('while the content comes over a slow link, status in another command names the head, and its history and previews show', async () => {
    const [ana, bo] = await lead()
    mkdirSync(join(ana.root, 'tex'))
    writeFileSync(join(ana.root, 'tex', 'rock.png'), await makePng({ width: 64, height: 64, seed: 3 }))
    writeFileSync(join(ana.root, 'level.bin'), randomBytes(3_000_000))
    await gas.add(ana, { paths: [ana.root] })
    const version = await gas.commit(ana, { message: 'rock and level' })
    await ana.store.flush()
    // ana's serve sends content at 1 MB/s: ~3 s of content after the metadata
    await setSchedule(ana, { windows: [], outsideLimit: 1_000_000 })
    const stop = new AbortController()
    const serving = servePeers({ ws: ana, trackers: [tracker.url], security: peerSecurity(ana), signal: stop.signal })
    let during: Promise<{ status: string, json: unknown, log: string, preview: string }> | undefined
    try {
      const result = await syncWithPeers({
        ws: bo,
        trackers: [tracker.url],
        security: peerSecurity(bo),
        onProgress: (p) => {
          if (p.phase !== 'content' || during !== undefined) return
          during = (async () => ({
            status: (await gasInProcess(bo.root, ['status'])).stdout,
            json: JSON.parse((await gasInProcess(bo.root, ['status', '--json'])).stdout),
            log: (await gasInProcess(bo.root, ['log', '--rev', version.slice(0, 12)])).stdout,
            preview: (await gasInProcess(bo.root, ['preview', 'tex/rock.png', '--version', version.slice(0, 12), '--json'])).stdout
          }))()
        }
      })
      expect(result).toMatchObject({ complete: true })
    } finally {
      stop.abort()
      await serving
    }
    expect(during).toBeDefined()
    const seen = await during!
    expect(seen.status).toContain('on branch main, no version yet')
    expect(seen.status).toMatch(new RegExp(`peer ana: their head ${version.slice(0, 12)} is arriving \\(\`gas sync\` pid ${process.pid} is fetching its content\\)`))
    expect((seen.json as { peers: unknown[] }).peers).toEqual([expect.objectContaining({ peer: 'ana', arriving: version, syncPid: process.pid })])
    expect(seen.log).toContain('rock and level')
    expect(JSON.parse(seen.preview)).toMatchObject({ kind: 'texture', info: { width: 64, height: 64 } })
    // done: the record is gone, status counts the applied head
    expect(existsSync(join(bo.gasDir, 'arriving-heads.json'))).toBe(false)
    expect((await gasInProcess(bo.root, ['status'])).stdout).toContain(`peer ana: up to date (their head ${version.slice(0, 12)})`)
  }, 60_000)
})

describe('arriving-heads.json', () => {
  it('reads as none when its sync is gone or the file is damaged; a sync clears only its own record', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'cy' })
    expect(await readArrivingHeads(ws)).toBeUndefined()
    await recordArrivingHeads(ws, new Map())
    expect(existsSync(join(ws.gasDir, 'arriving-heads.json'))).toBe(false)
    await recordArrivingHeads(ws, new Map([['ana', ID_A]]))
    expect(await readArrivingHeads(ws)).toEqual({ pid: process.pid, heads: { ana: ID_A } })
    // a killed sync's record: its pid runs no more
    writeFileSync(join(ws.gasDir, 'arriving-heads.json'), JSON.stringify({ pid: 2 ** 22 + 17, heads: { ana: ID_A } }))
    expect(await readArrivingHeads(ws)).toBeUndefined()
    await clearArrivingHeads(ws)
    expect(existsSync(join(ws.gasDir, 'arriving-heads.json'))).toBe(true)
    for (const damaged of ['{', 'null', '[]', JSON.stringify({ pid: 'x', heads: {} }), JSON.stringify({ pid: process.pid, heads: [] })]) {
      writeFileSync(join(ws.gasDir, 'arriving-heads.json'), damaged)
      expect(await readArrivingHeads(ws)).toBeUndefined()
    }
    // ids that are not ids are left out
    writeFileSync(join(ws.gasDir, 'arriving-heads.json'), JSON.stringify({ pid: process.pid, heads: { ana: ID_A, bo: 'nope' } }))
    expect(await readArrivingHeads(ws)).toEqual({ pid: process.pid, heads: { ana: ID_A } })
    await clearArrivingHeads(ws)
    expect(existsSync(join(ws.gasDir, 'arriving-heads.json'))).toBe(false)
  })

  it('an arriving head comes before a pending one of the same peer, and names a peer with no remote view yet', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'cy' })
    writeFileSync(join(ws.gasDir, 'pending-heads.json'), JSON.stringify({ ana: ID_B, bo: ID_B }))
    await recordArrivingHeads(ws, new Map([['ana', ID_A]]))
    expect(await peerHeadDistances(ws)).toEqual([
      { peer: 'ana', head: ID_A, ahead: null, behind: null, arriving: ID_A, syncPid: process.pid },
      { peer: 'bo', head: ID_B, ahead: null, behind: null, pending: ID_B }
    ])
    await clearArrivingHeads(ws)
    expect((await peerHeadDistances(ws))[0]).toEqual({ peer: 'ana', head: ID_B, ahead: null, behind: null, pending: ID_B })
  })
})
