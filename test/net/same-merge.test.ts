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
  it('each merges the other once; the two merges are found the same (in the same sync\'s follow-up, or at the next meeting): one kept, no third', async () => {
    const [, bo, cy] = await makeTeam([tmp(), tmp(), tmp()], ['ana', 'bo', 'cy'], tracker.url)
    await commitFile(bo, 'base.txt')
    await Promise.all([sync(bo), sync(cy)])
    const b = await commitFile(bo, 'bo.txt')
    const c = await commitFile(cy, 'cy.txt')
    // they meet: each fetches the other's version and merges it, a merge of its own; each then sees
    // the other's branch moved (to its merge), and a follow-up round finds the two the same
    const met = await Promise.all([sync(bo), sync(cy)])
    for (const r of met) expect(r.merge?.version).toMatch(/^[0-9a-f]{64}$/)
    let heads = [await bo.head(), await cy.head()]
    // a side whose follow-up found the other already gone settles it at the next meeting
    if (heads[0] !== heads[1]) {
      await Promise.all([sync(bo), sync(cy)])
      heads = [await bo.head(), await cy.head()]
    }
    expect(heads[0]).toBe(heads[1])
    for (const ws of [bo, cy]) {
      const log = await gas.log(ws, {})
      expect([...log[0].parents].sort()).toEqual([b, c].sort())
      expect(log.filter((v) => v.parents.length === 2).map((v) => v.id)).toEqual([heads[0]])
    }
    // merging the two merges would have made a third, diverged again at every meeting: now they are quiet
    const again = await Promise.all([sync(bo), sync(cy)])
    for (const r of again) expect(r.merge).toBeNull()
    expect([await bo.head(), await cy.head()]).toEqual(heads)
  }, 60_000)
})
