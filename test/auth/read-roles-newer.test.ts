import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { changeRoles } from '../../src/auth/team-members.js'
import { setTeamPolicy } from '../../src/auth/team-policy.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { randomIdentity, type PeerIdentity } from '../../src/peer/session/session.js'
import { syncRepo, type SyncResult } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { useTmp } from '../helpers/tmp.js'

/**
 * Read rights follow the newest certificate the serving peer holds: after `gas team roles`, a
 * member still presenting its old certificate in HELLO is served by its new roles.
 */

const tmp = useTmp()

function identityOf (ws: gas.Workspace): PeerIdentity {
  return { ...randomIdentity(ws.identity.name, ws.config.team?.id ?? null), publicKey: ws.identity.publicKey }
}

async function syncFrom (to: gas.Workspace, from: gas.Workspace): Promise<SyncResult> {
  const [mine, theirs] = MemoryTransport.pair({ a: to.identity.name, b: from.identity.name })
  const served = serveRepo({ store: from.store, refs: from.refs, transport: theirs, identity: identityOf(from), ...gas.peerSecurity(from) }).catch(() => null)
  const result = await syncRepo({ store: to.store, refs: to.refs, transports: [mine], identity: identityOf(to), ...gas.peerSecurity(to), lingerIdleMs: 0, refsTimeoutMs: 5000 })
  await served
  return result
}

async function project (ana: gas.Workspace): Promise<void> {
  mkdirSync(join(ana.root, 'art', 'raw'), { recursive: true })
  mkdirSync(join(ana.root, 'src'), { recursive: true })
  writeFileSync(join(ana.root, 'art', 'raw', 'hero.psd'), 'layers of a hero')
  writeFileSync(join(ana.root, 'src', 'main.lua'), 'print("orcs")')
  await gas.add(ana, { paths: [join(ana.root, 'art'), join(ana.root, 'src')] })
  await gas.commit(ana, { message: 'art and code' })
  await setTeamPolicy(ana, JSON.stringify({ read: [{ roles: ['programmer'], deny: ['art/raw/'] }] }))
}

describe('read rights after a roles change', () => {
  it('the serving peer applies the newer certificate it holds, not the one the member presents', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs', previewer: async () => [] })
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['artist'] })))
    await project(ana)
    // bo moves to programming; bo has not synced since, so its HELLO still presents the artist certificate
    await changeRoles(ana, 'bo', ['programmer'])
    const first = await syncFrom(bo, ana)
    expect(first.accessDenied).toEqual([expect.objectContaining({ code: 'E_ACCESS_DENIED', path: 'art/raw/hero.psd', peers: ['ana'] })])
    expect(first.missing).toEqual([])
    // that sync brought bo its new certificate, which it presents from now on
    expect(bo.config.roles).toEqual(['programmer'])

    // and back: an artist again may read art/raw/ at once, before bo learns of it
    await changeRoles(ana, 'bo', ['artist'])
    const second = await syncFrom(bo, ana)
    expect(second.accessDenied).toEqual([])
    expect(second.missing).toEqual([])
    for (const ws of [ana, bo]) await ws.close()
  }, 60_000)
})
