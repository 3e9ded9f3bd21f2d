import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { readOwnCertificate } from '../../src/auth/member-certificate.js'
import { adoptTeamRecords, listMembers, readPolicyRecord, recordRevocation } from '../../src/auth/team-directory.js'
import { changeRoles, findMember, revokeMember, teamMembers } from '../../src/auth/team-members.js'
import { parsePolicyDocument, readPolicyReadRules, readRulesOf, setTeamPolicy, showTeamPolicy, teamRecordsOf, writeRulesOf } from '../../src/auth/team-policy.js'
import { decodeTeamRecord, encodeTeamRecord, signTeamRecord, verifySignedRecord, type RevocationRecord } from '../../src/auth/team-record.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

async function codeOf (p: Promise<unknown>): Promise<string | undefined> {
  return await p.then(() => undefined, (err: { code?: string }) => err.code)
}

async function team (): Promise<{ ana: gas.Workspace, bo: gas.Workspace }> {
  const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
  const bo = await gas.init({ dir: tmp(), name: 'bo' })
  await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['artist'] })))
  return { ana, bo }
}

describe('team records', () => {
  it('decoding refuses what is not a team record, with typed errors', () => {
    const bad = (value: unknown): string | undefined => { try { decodeTeamRecord(Buffer.from(JSON.stringify(value))); return undefined } catch (err) { return (err as { code: string }).code } }
    expect(bad({ kind: 'nonsense', team: 't', time: 1, signature: 'ab'.repeat(64), by: { team: 't', signature: 'ab'.repeat(64), member: { name: 'a', publicKey: 'cd'.repeat(32), roles: [] } } })).toBe('E_CORRUPT_OBJECT')
    expect(bad({ kind: 'revocation' })).toBe('E_CORRUPT_OBJECT')
    expect(bad({ kind: 'certificate', certificate: { team: 't' } })).toBe('E_CORRUPT_OBJECT')
    expect(bad([1])).toBe('E_CORRUPT_OBJECT')
    expect(() => decodeTeamRecord(Buffer.from('{ "kind": "certificate" }'))).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT' }))
    expect(() => decodeTeamRecord(new Uint8Array(1024 * 1024 + 1))).toThrow(/more than/)
  })

  it('a revocation round-trips and verifies; altered, by a non-lead, or for another team it does not', async () => {
    const { ana, bo } = await team()
    const record = await revokeMember(ana, 'bo')
    const ctx = { team: ana.config.team!, isRevoked: () => false, newestCertificate: () => undefined }
    expect(decodeTeamRecord(encodeTeamRecord(record))).toEqual(record)
    await expect(verifySignedRecord(record, ctx)).resolves.toBeUndefined()
    expect(await codeOf(verifySignedRecord({ ...record, name: 'someone else' }, ctx))).toBe('E_BAD_SIGNATURE')
    expect(await codeOf(verifySignedRecord({ ...record, team: 'other' }, ctx))).toBe('E_AUTH')
    expect(await codeOf(verifySignedRecord(record, { ...ctx, isRevoked: () => true }))).toBe('E_REVOKED')
    const byArtist = signTeamRecord<RevocationRecord>(bo.identity, { kind: 'revocation', team: ana.config.team!.id, publicKey: ana.identity.publicKey, name: 'ana', time: 1, by: (await readOwnCertificate(bo))! })
    expect(await codeOf(verifySignedRecord(byArtist, ctx))).toBe('E_ACCESS_DENIED')
    // the lead's newer certificate without the lead role takes the right away
    const demoted = { ...record.by, member: { ...record.by.member, roles: ['artist'], issued: 9e9 } }
    expect(await codeOf(verifySignedRecord(record, { ...ctx, newestCertificate: () => demoted }))).toBe('E_ACCESS_DENIED')
    expect(await codeOf(recordRevocation(teamRecordsOf(bo), byArtist, 'bo', 1))).toBe('E_ACCESS_DENIED')
  })

  it('members: found by name or key prefix; revoke and roles refuse what they cannot do', async () => {
    const { ana, bo } = await team()
    expect((await findMember(ana, 'bo')).publicKey).toBe(bo.identity.publicKey)
    expect((await findMember(ana, bo.identity.publicKey.slice(0, 10))).name).toBe('bo')
    expect(await codeOf(findMember(ana, 'nobody'))).toBe('E_NOT_FOUND')
    const bo2 = await gas.init({ dir: tmp(), name: 'bo' })
    await createInvite(ana, { publicKey: bo2.identity.publicKey, name: 'bo', roles: ['qa'] })
    expect(await codeOf(findMember(ana, 'bo'))).toBe('E_AMBIGUOUS_ID')
    expect(await codeOf(revokeMember(bo, 'ana'))).toBe('E_ACCESS_DENIED')
    expect(await codeOf(changeRoles(bo, 'ana', ['artist']))).toBe('E_ACCESS_DENIED')
    expect(await codeOf(revokeMember(ana, 'ana'))).toBe('E_BAD_ARGUMENT')
    expect(await codeOf(changeRoles(ana, bo.identity.publicKey.slice(0, 12), ['wizard']))).toBe('E_BAD_ARGUMENT')
    expect(await codeOf(changeRoles(ana, bo.identity.publicKey.slice(0, 12), []))).toBe('E_BAD_ARGUMENT')
    await revokeMember(ana, bo.identity.publicKey.slice(0, 12))
    expect(await codeOf(revokeMember(ana, bo.identity.publicKey.slice(0, 12)))).toBe('E_ALREADY_EXISTS')
    expect(await codeOf(changeRoles(ana, bo.identity.publicKey.slice(0, 12), ['qa']))).toBe('E_REVOKED')
    expect((await teamMembers(ana)).map((m) => [m.name, m.revoked])).toEqual(expect.arrayContaining([['ana', false], ['bo', true], ['bo', false]]))
    // the lead changes its own roles: its certificate and config follow
    await changeRoles(ana, 'ana', ['lead', 'build'])
    expect(ana.config.roles).toEqual(['build', 'lead'])
    expect((await readOwnCertificate(ana))!.member.roles).toEqual(['build', 'lead'])
  })

  it('an admin certifies members with its own key (its certificate as issuer)', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const ada = await gas.init({ dir: tmp(), name: 'ada' })
    await joinTeam(ada, JSON.stringify(await createInvite(ana, { publicKey: ada.identity.publicKey, name: 'ada', roles: ['admin'] })))
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['artist'] })
    // ada learns the member list from ana
    const rs = teamRecordsOf(ana)
    await adoptTeamRecords(teamRecordsOf(ada), ana.store, await rs.refs.list('refs/team/'), 'test', 1)
    const cert = await changeRoles(ada, 'bo', ['artist', 'qa'])
    expect(cert.issuer?.member.name).toBe('ada')
    expect((await listMembers(teamRecordsOf(ada))).find((m) => m.name === 'bo')?.roles).toEqual(['artist', 'qa'])
  })

  it('the policy: parsed and checked, set by a lead only, shown, and its sections handed out', async () => {
    const { ana, bo } = await team()
    expect(await showTeamPolicy(ana)).toEqual({ version: 0, read: [], write: [], signedBy: null, time: null })
    expect(parsePolicyDocument('{}', 4)).toEqual({ version: 5, read: [], write: [] })
    expect(() => parsePolicyDocument('nope', 0)).toThrow(/not valid JSON/)
    expect(() => parsePolicyDocument('[]', 0)).toThrow(/one JSON object/)
    expect(() => parsePolicyDocument('{"admins": []}', 0)).toThrow(/unknown sections: admins/)
    expect(() => parsePolicyDocument('{"version": 0}', 0)).toThrow(/positive integer/)
    expect(() => parsePolicyDocument('{"version": 2}', 2)).toThrow(/not above the team's current version 2/)
    expect(() => parsePolicyDocument('{"read": {}}', 0)).toThrow(/"read" must be an array/)
    expect(() => parsePolicyDocument('{"write": [{"ref": "x"}]}', 0)).toThrow(/write rule 1/)
    expect(await codeOf(setTeamPolicy(bo, '{}'))).toBe('E_ACCESS_DENIED')
    const record = await setTeamPolicy(ana, JSON.stringify({ read: [{ deny: ['art/raw/'] }], write: [{ ref: 'refs/heads/*', roles: ['lead'] }] }))
    expect(readRulesOf(record)).toEqual([{ deny: ['art/raw/'] }])
    expect(writeRulesOf(record)).toEqual([{ ref: 'refs/heads/*', roles: ['lead'] }])
    expect(writeRulesOf({ ...record, policy: { ...record.policy, write: [{ bad: 1 }] } })).toEqual([])
    expect(readRulesOf(undefined)).toEqual([])
    expect(await readPolicyReadRules(ana)).toEqual([{ deny: ['art/raw/'] }])
    expect(await readPolicyReadRules(await gas.init({ dir: tmp(), name: 'solo' }))).toEqual([])
    expect((await readPolicyRecord(teamRecordsOf(ana)))?.policy.version).toBe(1)
    expect(() => teamRecordsOf(bo.config.team === null ? bo : { ...bo, config: { ...bo.config, team: null } } as unknown as gas.Workspace)).toThrow(/no team/)
  })

  it('adoption skips records that do not belong under their ref, and objects that are not team records', async () => {
    const { ana, bo } = await team()
    const record = await revokeMember(ana, 'bo')
    const store = new MemoryStore()
    const revocationId = await store.put('team', encodeTeamRecord(record))
    const chunkId = await store.put('chunk', Buffer.from('not a record'))
    const result = await adoptTeamRecords(teamRecordsOf(bo), store, [
      { name: `refs/team/revoked/${ana.identity.publicKey}`, id: revocationId },
      { name: 'refs/team/policy', id: chunkId },
      { name: 'refs/team/members/absent', id: 'ab'.repeat(32) }
    ], 'test', 1)
    expect(result.rejected.map((r) => r.ref)).toEqual([`refs/team/revoked/${ana.identity.publicKey}`, 'refs/team/policy'])
    expect(result.rejected.every((r) => r.code === 'E_CORRUPT_OBJECT')).toBe(true)
    expect(result.adopted).toEqual([])
  })
})
