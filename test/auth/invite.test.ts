import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { checkInvite, createInvite, joinTeam } from '../../src/auth/invite.js'
import { readOwnCertificate } from '../../src/auth/member-certificate.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const codeOf = async (p: Promise<unknown>): Promise<string> => await p.then(() => 'no error', (err: gas.GasError) => err.code)
const codeOfSync = (fn: () => unknown): string => { try { fn() } catch (err) { return (err as gas.GasError).code } return 'no error' }

describe('team invites', () => {
  it('the lead certifies a member key; the member joins with team, trackers and roles', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    lead.config.trackers = ['ws://127.0.0.1:9']
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    const invite = await createInvite(lead, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['sound', 'artist'] })
    expect(invite.certificate.member.roles).toEqual(['artist', 'sound'])
    await joinTeam(bo, JSON.stringify(invite))
    const reopened = await gas.open({ dir: bo.root })
    expect(reopened.config).toMatchObject({ team: { id: lead.config.team!.id, name: 'orcs' }, trackers: ['ws://127.0.0.1:9'], roles: ['artist', 'sound'] })
  })

  it('refuses forged, foreign and malformed invites, and non-leads', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    const cy = await gas.init({ dir: tmp(), name: 'cy' })
    const invite = await createInvite(lead, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['qa'] })
    expect(await codeOf(joinTeam(cy, JSON.stringify(invite)))).toBe('E_AUTH')
    const forged = { ...invite, certificate: { ...invite.certificate, member: { ...invite.certificate.member, roles: ['lead'] } } }
    expect(codeOfSync(() => checkInvite(forged, bo.identity.publicKey))).toBe('E_BAD_SIGNATURE')
    expect(codeOfSync(() => checkInvite({ ...invite, certificate: { ...invite.certificate, team: 'x' } }, bo.identity.publicKey))).toBe('E_AUTH')
    expect(codeOfSync(() => checkInvite({ hello: 1 }, bo.identity.publicKey))).toBe('E_BAD_ARGUMENT')
    expect(await codeOf(joinTeam(bo, '{not json'))).toBe('E_BAD_ARGUMENT')
    await joinTeam(bo, JSON.stringify(invite))
    expect(await codeOf(createInvite(bo, { publicKey: cy.identity.publicKey, name: 'cy', roles: ['qa'] }))).toBe('E_DENIED')
    expect(await codeOf(createInvite(cy, { publicKey: bo.identity.publicKey, name: 'x', roles: ['qa'] }))).toBe('E_BAD_ARGUMENT')
    expect(await codeOf(createInvite(lead, { publicKey: 'xyz', name: 'x', roles: ['qa'] }))).toBe('E_BAD_ARGUMENT')
    expect(await codeOf(createInvite(lead, { publicKey: cy.identity.publicKey, name: ' ', roles: ['qa'] }))).toBe('E_BAD_ARGUMENT')
    expect(await codeOf(createInvite(lead, { publicKey: cy.identity.publicKey, name: 'cy', roles: [] }))).toBe('E_BAD_ARGUMENT')
    expect(await codeOf(createInvite(lead, { publicKey: cy.identity.publicKey, name: 'cy', roles: ['wizard'] }))).toBe('E_BAD_ARGUMENT')
  })

  it('a member joining an invite keeps the certificate it proves membership with', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    const invite = await createInvite(lead, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['qa'] })
    await joinTeam(bo, JSON.stringify(invite))
    expect(await readOwnCertificate(bo)).toEqual(invite.certificate)
  })
})
