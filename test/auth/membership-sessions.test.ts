import { afterEach, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { challengeBytes } from '../../src/auth/handshake.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { issueCertificate } from '../../src/auth/member-certificate.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { randomIdentity, type PeerIdentity } from '../../src/peer/session/session.js'
import { syncRepo } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { createIdentity, signBytes } from '../../src/repo/identity.js'
import { buildVersion, KiB, pseudoRandomBytes, setRef } from '../net/helpers.js'
import { Repos } from '../net/scenario.js'
import { useTmp } from '../helpers/tmp.js'

/**
 * Membership in memory, with a patched outsider that skips its own checks and presents a
 * certificate it made itself: members refuse it before serving anything or accepting any ref.
 */

const tmp = useTmp()
const repos = new Repos()
afterEach(async () => await repos.cleanup())

async function teamOf (): Promise<{ lead: gas.Workspace, bo: gas.Workspace, outsider: gas.Workspace }> {
  const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
  const bo = await gas.init({ dir: tmp(), name: 'bo' })
  await joinTeam(bo, JSON.stringify(await createInvite(lead, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['artist'] })))
  const outsider = await gas.init({ dir: tmp(), name: 'mallory' })
  outsider.config = { ...outsider.config, team: lead.config.team }
  return { lead, bo, outsider }
}

/** The HELLO identity `gas serve` / `gas sync` use for a workspace */
function identityOf (ws: gas.Workspace): PeerIdentity {
  return { ...randomIdentity(ws.identity.name, ws.config.team?.id ?? null), publicKey: ws.identity.publicKey }
}

/** What a patched client sends: a valid signature with its own key, and a certificate from a root key of its own. */
function forgedSecurity (outsider: gas.Workspace): Pick<Parameters<typeof serveRepo>[0], 'sign'> {
  const team = outsider.config.team!
  const certificate = issueCertificate(createIdentity('fake root'), team.id, { name: 'mallory', publicKey: outsider.identity.publicKey, roles: ['lead'] })
  return { sign: ({ remoteNonce, ourNonce }) => ({ signature: signBytes(outsider.identity, challengeBytes(remoteNonce, ourNonce, outsider.identity.publicKey, team.id)), certificate }) }
}

describe('members refuse a patched outsider', () => {
  it('the lead serves it nothing (no refs, no objects) and tells it why', async () => {
    const { lead, outsider } = await teamOf()
    const leadStore = new MemoryStore()
    const v = await buildVersion(leadStore, [{ path: 'secret.bin', bytes: pseudoRandomBytes('s', 50 * KiB) }])
    const leadRefs = await repos.refs('lead')
    await setRef(leadRefs, 'refs/heads/main', v.version)
    const [mine, theirs] = MemoryTransport.pair({ a: 'mallory', b: 'ana' })
    const serving = serveRepo({ store: leadStore, refs: leadRefs, transport: theirs, identity: identityOf(lead), ...gas.peerSecurity(lead) })
    const refs = await repos.refs('mallory')
    const store = new MemoryStore()
    const result = await syncRepo({ store, refs, transports: [mine], identity: identityOf(outsider), ...forgedSecurity(outsider), refsTimeoutMs: 2000, lingerIdleMs: 0 })
    await expect(serving).rejects.toMatchObject({ code: 'E_BAD_SIGNATURE' })
    // the lead told it why (GOODBYE) before closing: a refusal, not a lost peer
    expect(result.dropped).toEqual([expect.objectContaining({ peer: 'ana', code: 'E_AUTH', message: expect.stringMatching(/^ana refused the connection: mallory's certificate is not signed by the orcs root key/) })])
    expect(result.fetched.objects).toBe(0)
    expect(store.objects.size).toBe(0)
    expect(await refs.read('refs/heads/main')).toBeUndefined()
  })

  it('a member accepts no ref from it', async () => {
    const { bo, outsider } = await teamOf()
    const outsiderStore = new MemoryStore()
    const v = await buildVersion(outsiderStore, [{ path: 'forged.bin', bytes: pseudoRandomBytes('f', 10 * KiB) }])
    const outsiderRefs = await repos.refs('outsider')
    await setRef(outsiderRefs, 'refs/heads/main', v.version)
    const [mine, theirs] = MemoryTransport.pair({ b: 'mallory' })
    void serveRepo({ store: outsiderStore, refs: outsiderRefs, transport: theirs, identity: identityOf(outsider), ...forgedSecurity(outsider) }).catch(() => {})
    const refs = await repos.refs('bo')
    const result = await syncRepo({ store: new MemoryStore(), refs, transports: [mine], identity: identityOf(bo), ...gas.peerSecurity(bo), lingerIdleMs: 0 })
    expect(result.peers).toBe(0)
    expect(result.dropped).toEqual([expect.objectContaining({ peer: 'mallory', code: 'E_BAD_SIGNATURE' })])
    expect(await refs.read('refs/heads/main')).toBeUndefined()
  })
})
