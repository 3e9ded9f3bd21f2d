import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { syncWithPeers } from '../../src/peer/sync/peer-node.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { makeTeam } from '../helpers/team.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

const sync = async (ws: gas.Workspace): Promise<Awaited<ReturnType<typeof syncWithPeers>>> => await syncWithPeers({ ws, trackers: [], security: gas.peerSecurity(ws), firstPeerWaitMs: 10_000 })

async function commitFile (ws: gas.Workspace, name: string): Promise<string> {
  writeFileSync(join(ws.root, name), `${name}\n`)
  await gas.add(ws, { paths: [join(ws.root, name)] })
  const id = await gas.commit(ws, { message: name })
  await ws.store.flush()
  return id
}

describe('two members whose syncs meet, each with work of its own', () => {
  it('each merges the other once; when they meet again the two merges are found the same: one kept, no third', async () => {
    const [, bo, cy] = await makeTeam([tmp(), tmp(), tmp()], ['ana', 'bo', 'cy'], tracker.url)
    await commitFile(bo, 'base.txt')
    await Promise.all([sync(bo), sync(cy)])
    const b = await commitFile(bo, 'bo.txt')
    const c = await commitFile(cy, 'cy.txt')
    // they meet: each fetches the other's version and merges it, a merge of its own
    const [first, second] = await Promise.all([sync(bo), sync(cy)])
    expect(first.merge?.version).toMatch(/^[0-9a-f]{64}$/)
    expect(second.merge?.version).toMatch(/^[0-9a-f]{64}$/)
    const merges = [await bo.head(), await cy.head()] as string[]
    expect(merges[0]).not.toBe(merges[1])
    for (const ws of [bo, cy]) expect([...(await gas.log(ws, {}))[0].parents].sort()).toEqual([b, c].sort())

    // they meet again: merging the two merges would make a third, diverged again at every meeting
    const again = await Promise.all([sync(bo), sync(cy)])
    const kept = [...merges].sort()[0]
    expect(await bo.head()).toBe(kept)
    expect(await cy.head()).toBe(kept)
    for (const r of again) expect(r.merge).toMatchObject({ version: kept, same: true, conflicts: [] })
    for (const ws of [bo, cy]) {
      const log = await gas.log(ws, {})
      expect(log.filter((v) => v.parents.length === 2).map((v) => v.id)).toEqual([kept])
    }
  }, 60_000)
})
