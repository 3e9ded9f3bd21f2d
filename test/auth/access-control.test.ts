import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { certifyMember, changeRoles, revokeMember } from '../../src/auth/team-members.js'
import { writeCertificate } from '../../src/auth/member-certificate.js'
import { setTeamPolicy, showTeamPolicy } from '../../src/auth/team-policy.js'
import { encodeVersion, signedPart, decodeVersion, type Version } from '../../src/objects/version.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { randomIdentity, type PeerIdentity } from '../../src/peer/session/session.js'
import { syncRepo, type SyncResult } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { signBytes } from '../../src/repo/identity.js'
import { useTmp } from '../helpers/tmp.js'

/**
 * Access control between workspaces over in-memory links (the same scenarios run between real
 * `gas` processes over WebRTC in access-control-processes.test.ts): revocations and role changes
 * spread through a third peer, and forged, tampered, replayed or unauthorized ref updates are
 * refused and reported without dropping the peer.
 */

const tmp = useTmp()

function identityOf (ws: gas.Workspace): PeerIdentity {
  return { ...randomIdentity(ws.identity.name, ws.config.team?.id ?? null), publicKey: ws.identity.publicKey }
}

async function member (lead: gas.Workspace, name: string, roles: string[]): Promise<gas.Workspace> {
  const ws = await gas.init({ dir: tmp(), name })
  await joinTeam(ws, JSON.stringify(await createInvite(lead, { publicKey: ws.identity.publicKey, name, roles })))
  return ws
}

async function commitFile (ws: gas.Workspace, file: string, text: string): Promise<string> {
  writeFileSync(join(ws.root, file), text)
  await gas.add(ws, { paths: [join(ws.root, file)] })
  return await gas.commit(ws, { message: `add ${file}` })
}

/** `to` syncs once from `from` (serving), both with their workspace's security. */
async function syncFrom (to: gas.Workspace, from: gas.Workspace): Promise<{ result: SyncResult, served: Promise<unknown> }> {
  const [mine, theirs] = MemoryTransport.pair({ a: to.identity.name, b: from.identity.name })
  const served = serveRepo({ store: from.store, refs: from.refs, transport: theirs, identity: identityOf(from), ...gas.peerSecurity(from) }).then(() => null, (err: unknown) => err)
  const result = await syncRepo({ store: to.store, refs: to.refs, transports: [mine], identity: identityOf(to), ...gas.peerSecurity(to), lingerIdleMs: 0, refsTimeoutMs: 5000 })
  return { result, served }
}

async function team (): Promise<{ ana: gas.Workspace, bo: gas.Workspace, cy: gas.Workspace }> {
  const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
  const bo = await member(ana, 'bo', ['artist'])
  const cy = await member(ana, 'cy', ['programmer'])
  return { ana, bo, cy }
}

describe('revocation', () => {
  it('a revoked member is refused by a peer that learnt of the revocation from a third peer, as client and as server', async () => {
    const { ana, bo, cy } = await team()
    await commitFile(bo, 'orc.txt', 'an orc')
    // cy meets bo first: bo is a member then
    expect((await syncFrom(cy, bo)).result.peers).toBe(1)
    await revokeMember(ana, 'bo')
    const learnt = await syncFrom(cy, ana)
    expect(learnt.result.rejected).toEqual([])
    expect(await cy.refs.read(`refs/team/revoked/${bo.identity.publicKey}`)).toBeDefined()

    // bo serving: cy refuses it on connect
    const asServer = await syncFrom(cy, bo)
    expect(asServer.result.peers).toBe(0)
    expect(asServer.result.dropped).toEqual([expect.objectContaining({ code: 'E_REVOKED', message: expect.stringMatching(/bo's membership of orcs was revoked by ana/) })])
    // bo syncing: cy's serve refuses it too, and tells it why
    const asClient = await syncFrom(bo, cy)
    expect(asClient.result.peers).toBe(0)
    expect(await asClient.served).toMatchObject({ code: 'E_REVOKED' })
  })

  it('a head the revoked member signs is refused even when a member who has not heard yet relays it', async () => {
    const { ana, bo, cy } = await team()
    const dan = await member(ana, 'dan', ['artist'])
    const base = await commitFile(ana, 'base.txt', 'base')
    await syncFrom(bo, ana)
    await revokeMember(ana, 'bo')
    await commitFile(bo, 'late.txt', 'after the revocation')
    // dan has not heard of the revocation: it takes bo's head
    await syncFrom(dan, bo)
    await syncFrom(cy, ana)
    const { result } = await syncFrom(cy, dan)
    expect(result.peers).toBe(1)
    expect(result.rejected).toEqual([expect.objectContaining({ ref: 'refs/heads/main', peer: 'dan', code: 'E_REVOKED' })])
    expect(await cy.refs.read('refs/heads/main')).toBe(base)
    // and dan learns the revocation from cy on its next sync
    await syncFrom(dan, cy)
    expect(await dan.refs.read(`refs/team/revoked/${bo.identity.publicKey}`)).toBeDefined()
  })
})

describe('revocation of an admin', () => {
  it('takes the certificates it issued with it', async () => {
    const { ana, cy } = await team()
    const ada = await member(ana, 'ada', ['admin'])
    const dan = await gas.init({ dir: tmp(), name: 'dan' })
    const cert = await certifyMember(ada, { name: 'dan', publicKey: dan.identity.publicKey, roles: ['qa'] })
    await writeCertificate(dan, cert)
    dan.config = { ...dan.config, team: ana.config.team, roles: ['qa'] }
    await dan.saveConfig()
    expect((await syncFrom(cy, dan)).result.peers).toBe(1)
    await revokeMember(ana, 'ada')
    await syncFrom(cy, ana)
    const refused = await syncFrom(cy, dan)
    expect(refused.result.dropped).toEqual([expect.objectContaining({ code: 'E_REVOKED', message: expect.stringMatching(/issued by ada, whose membership of orcs was revoked/) })])
  })
})

describe('signatures and history', () => {
  it('a forged signature, a tampered version record and a replayed old head are each rejected; the peer stays connected', async () => {
    const { ana, bo, cy } = await team()
    const v1 = await commitFile(ana, 'a.txt', 'one')
    await syncFrom(bo, ana)
    const v2 = await commitFile(ana, 'a.txt', 'two')
    await syncFrom(bo, ana)
    await syncFrom(cy, ana)
    expect(await cy.refs.read('refs/heads/main')).toBe(v2)

    // forged: a version claiming ana as author, signed with bo's key
    const base = decodeVersion((await bo.store.get(v2)).body)
    const forgedUnsigned: Version = { ...base, parents: [v2], message: 'ana says: delete everything', signature: null }
    const forged = await bo.store.put('version', encodeVersion({ ...forgedUnsigned, signature: signBytes(bo.identity, signedPart(forgedUnsigned)) }))
    // tampered: ana's real version with its message changed (the signature no longer matches)
    const tampered = await bo.store.put('version', encodeVersion({ ...base, parents: [v2], message: 'tampered' }))
    await bo.refs.update({ name: 'refs/heads/main', newId: forged, message: 'test', who: 'bo', now: 1 })
    await bo.refs.update({ name: 'refs/heads/tampered', newId: tampered, message: 'test', who: 'bo', now: 1 })
    // replayed: an old head of ana's, signed and valid
    await bo.refs.update({ name: 'refs/heads/old', newId: v1, message: 'test', who: 'bo', now: 1 })
    await cy.refs.update({ name: 'refs/heads/old', newId: v2, message: 'test', who: 'cy', now: 1 })

    const { result } = await syncFrom(cy, bo)
    expect(result.peers).toBe(1)
    expect(result.rejected).toEqual(expect.arrayContaining([
      expect.objectContaining({ ref: 'refs/heads/main', id: forged, peer: 'bo', code: 'E_BAD_SIGNATURE' }),
      expect.objectContaining({ ref: 'refs/heads/tampered', id: tampered, code: 'E_BAD_SIGNATURE' })
    ]))
    expect(await cy.refs.read('refs/heads/main')).toBe(v2)
    expect(await cy.refs.read('refs/heads/tampered')).toBeUndefined()
    // the forged head is not even recorded as bo's view (a merge would take it in)
    expect(await cy.refs.read('refs/remotes/bo/heads/main')).not.toBe(forged)
    expect(await cy.refs.read('refs/heads/old')).toBe(v2)
    expect(result.refs).toContainEqual(expect.objectContaining({ ref: 'refs/heads/old', action: 'ahead' }))
  })

  it('a forged version inside the history of a validly signed head is rejected', async () => {
    const { ana, bo, cy } = await team()
    const v1 = await commitFile(ana, 'a.txt', 'one')
    await syncFrom(bo, ana)
    await syncFrom(cy, ana)
    const base = decodeVersion((await bo.store.get(v1)).body)
    const middle = await bo.store.put('version', encodeVersion({ ...base, parents: [v1], message: 'forged middle', signature: base.signature }))
    const topUnsigned: Version = { ...base, author: bo.author, parents: [middle], message: 'bo builds on it', signature: null }
    const top = await bo.store.put('version', encodeVersion({ ...topUnsigned, signature: signBytes(bo.identity, signedPart(topUnsigned)) }))
    await bo.refs.update({ name: 'refs/heads/main', newId: top, message: 'test', who: 'bo', now: 1 })
    const { result } = await syncFrom(cy, bo)
    expect(result.rejected).toEqual([expect.objectContaining({ ref: 'refs/heads/main', code: 'E_BAD_SIGNATURE', message: expect.stringMatching(/in its history/) })])
    expect(await cy.refs.read('refs/heads/main')).toBe(v1)
  })
})

describe('write rights', () => {
  it('a member without write rights to refs/builds/* cannot move it on others; a roles change lets them', async () => {
    const { ana, bo, cy } = await team()
    const dir = tmp()
    mkdirSync(join(dir, 'bin'))
    writeFileSync(join(dir, 'bin', 'game.exe'), 'the game')
    await gas.publishBuild(bo, { dir, name: 'game', version: '1.0' })
    const denied = await syncFrom(cy, bo)
    expect(denied.result.rejected).toEqual([expect.objectContaining({ ref: 'refs/builds/game/1.0', code: 'E_ACCESS_DENIED', message: expect.stringMatching(/bo \(artist\) may not write it/) })])
    expect(await cy.refs.read('refs/builds/game/1.0')).toBeUndefined()

    // the lead makes bo a build machine too; cy learns it from the lead, bo's build is then accepted
    await changeRoles(ana, 'bo', ['artist', 'build'])
    await syncFrom(cy, ana)
    const allowed = await syncFrom(cy, bo)
    expect(allowed.result.rejected).toEqual([])
    expect(await cy.refs.read('refs/builds/game/1.0')).toBe(await bo.refs.read('refs/builds/game/1.0'))
    // bo learns its own new roles from the lead
    await syncFrom(bo, ana)
    expect(bo.config.roles).toEqual(['artist', 'build'])
  })

  it('the team policy spreads (highest version wins) and its write rules decide: release tags are the lead\'s', async () => {
    const { ana, bo, cy } = await team()
    await commitFile(ana, 'a.txt', 'one')
    await setTeamPolicy(ana, JSON.stringify({ read: [{ roles: ['artist'], allow: ['art/**'] }], write: [{ ref: 'refs/tags/release-*', roles: ['lead'] }] }))
    await syncFrom(bo, ana)
    await syncFrom(cy, bo)
    expect(await showTeamPolicy(cy)).toMatchObject({ version: 1, read: [{ roles: ['artist'], allow: ['art/**'] }], signedBy: { name: 'ana' } })
    await gas.tag(bo, { name: 'release-1' })
    await gas.tag(bo, { name: 'nightly-1' })
    const { result } = await syncFrom(cy, bo)
    expect(result.rejected).toEqual([expect.objectContaining({ ref: 'refs/tags/release-1', code: 'E_ACCESS_DENIED' })])
    expect(await cy.refs.read('refs/tags/release-1')).toBeUndefined()
    expect(await cy.refs.read('refs/tags/nightly-1')).toBeDefined()
  })

  it('a policy signed by a non-lead, or an older version, is not adopted', async () => {
    const { ana, bo, cy } = await team()
    await setTeamPolicy(ana, JSON.stringify({ write: [] }))
    await setTeamPolicy(ana, JSON.stringify({ write: [{ ref: 'refs/heads/*', roles: ['lead'] }] }))
    await syncFrom(cy, ana)
    expect((await showTeamPolicy(cy)).version).toBe(2)
    // bo forges a version 3 with its own (artist) certificate
    const { signTeamRecord, encodeTeamRecord } = await import('../../src/auth/team-record.js')
    const { readOwnCertificate } = await import('../../src/auth/member-certificate.js')
    const by = (await readOwnCertificate(bo))!
    const forged = signTeamRecord(bo.identity, { kind: 'policy', team: bo.config.team!.id, policy: { version: 3, read: [], write: [] }, time: 1, by })
    const id = await bo.store.put('team', encodeTeamRecord(forged))
    await bo.refs.update({ name: 'refs/team/policy', newId: id, message: 'test', who: 'bo', now: 1 })
    const { result } = await syncFrom(cy, bo)
    expect(result.rejected).toEqual([expect.objectContaining({ ref: 'refs/team/policy', code: 'E_ACCESS_DENIED' })])
    expect((await showTeamPolicy(cy)).version).toBe(2)
  })
})
