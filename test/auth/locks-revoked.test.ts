import { afterEach, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { randomIdentity, type PeerIdentity } from '../../src/peer/session/session.js'
import { syncRepo, type SyncResult } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { useTmp } from '../helpers/tmp.js'

/** Issue 15: a revoked member holds no lock on a peer that knows the revocation, and its new lock records are refused there. */

const tmp = useTmp()
const opened: gas.Workspace[] = []
afterEach(async () => { for (const ws of opened.splice(0)) await ws.close() })
const clock = { now: () => Date.UTC(2026, 10, 30, 9) }

async function member (lead: gas.Workspace, name: string): Promise<gas.Workspace> {
  const ws = await gas.init({ dir: tmp(), name, clock })
  await joinTeam(ws, JSON.stringify(await createInvite(lead, { publicKey: ws.identity.publicKey, name, roles: ['artist'] })))
  opened.push(ws)
  return ws
}

function identityOf (ws: gas.Workspace): PeerIdentity {
  return { ...randomIdentity(ws.identity.name, ws.config.team?.id ?? null), publicKey: ws.identity.publicKey }
}

/** `client` syncs with `server`'s serve, both exchanging locks and team records, over an in-memory link */
async function exchange (server: gas.Workspace, client: gas.Workspace): Promise<SyncResult> {
  const [a, b] = MemoryTransport.pair({ a: server.identity.name, b: client.identity.name })
  const serving = serveRepo({ store: server.store, refs: server.refs, transport: b, identity: identityOf(server), ...gas.peerSecurity(server), locks: gas.lockExchangeOf(server) })
  const result = await syncRepo({ store: client.store, refs: client.refs, transports: [a], identity: identityOf(client), ...gas.peerSecurity(client), locks: gas.lockExchangeOf(client), lingerIdleMs: 5000 })
  const session = await serving
  session.close()
  return result
}

const holders = async (ws: gas.Workspace): Promise<string[]> => (await gas.activeLocks(ws)).map((l) => `${l.path} ${l.holder.name}`)

describe('locks of a revoked member', () => {
  it('are ignored by a peer that learnt the revocation from a third, and its later records are refused there (E_REVOKED)', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs', clock })
    opened.push(ana)
    const bo = await member(ana, 'bo')
    const cy = await member(ana, 'cy')
    const dee = await member(ana, 'dee')

    await gas.lock({ ws: bo, path: 'hero.psd', ttlMs: 8 * 3600_000 })
    await exchange(bo, cy)
    expect(await holders(cy)).toEqual(['hero.psd bo'])
    await expect(gas.lock({ ws: cy, path: 'hero.psd' })).rejects.toMatchObject({ code: 'E_LOCKED_BY_OTHER' })

    // ana revokes bo; cy learns it from ana, not from bo: bo's lease no longer counts on cy
    await gas.revokeMember(ana, 'bo')
    await exchange(ana, cy)
    expect(await holders(cy)).toEqual([])
    expect((await gas.teamMembers(cy)).find((m) => m.name === 'bo')?.revoked).toBe(true)

    // bo, unaware, locks another file; dee (who does not know the revocation yet) carries it to cy
    await gas.lock({ ws: bo, path: 'rig.fbx' })
    await exchange(bo, dee)
    expect(await holders(dee)).toEqual(['hero.psd bo', 'rig.fbx bo'])
    const result = await exchange(dee, cy)
    expect(result.locks?.rejected).toEqual([expect.objectContaining({ peer: 'dee', code: 'E_REVOKED', ref: expect.stringContaining('rig=2Efbx') })])
    expect(await holders(cy)).toEqual([])
    // and the path is free for cy: the revoked member's lease does not block it
    expect((await gas.lock({ ws: cy, path: 'hero.psd' })).lock.holder.name).toBe('cy')
    // dee, told by cy in turn, drops bo's leases too, and the tables agree
    await exchange(cy, dee)
    expect(await holders(dee)).toEqual(await holders(cy))
    expect(await holders(dee)).toEqual(['hero.psd cy'])
  }, 60_000)
})
