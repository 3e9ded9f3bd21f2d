import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { challengeBytes, verifyMember } from '../../src/auth/handshake.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { issueCertificate, readOwnCertificate, verifyCertificate, type MemberCertificate } from '../../src/auth/member-certificate.js'
import { PROTOCOL_VERSION, type HelloMessage } from '../../src/peer/wire/messages.js'
import { createIdentity, signBytes } from '../../src/repo/identity.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const codeOf = async (p: Promise<unknown>): Promise<string> => await p.then(() => 'no error', (err: gas.GasError) => err.code)
const codeOfSync = (fn: () => unknown): string => { try { fn() } catch (err) { return (err as gas.GasError).code } return 'no error' }

const ourNonce = 'ab'.repeat(32)
const theirNonce = 'cd'.repeat(32)

/** The signed HELLO `ws` sends on a connection where the verifier's nonce is `verifierNonce`, as `gas.peerSecurity` makes it. */
async function signedHello (ws: gas.Workspace, verifierNonce = ourNonce, overrides: Partial<HelloMessage> = {}): Promise<HelloMessage> {
  const proof = await gas.peerSecurity(ws).sign({ remoteNonce: verifierNonce, ourNonce: theirNonce })
  return {
    type: 'HELLO', version: PROTOCOL_VERSION, capabilities: [], peerId: '11'.repeat(32), name: ws.identity.name, publicKey: ws.identity.publicKey,
    teamId: ws.config.team?.id ?? null, nonce: theirNonce, ...proof, ...overrides
  }
}

async function member (lead: gas.Workspace, name: string, roles = ['artist']): Promise<gas.Workspace> {
  const ws = await gas.init({ dir: tmp(), name })
  await joinTeam(ws, JSON.stringify(await createInvite(lead, { publicKey: ws.identity.publicKey, name, roles })))
  return ws
}

describe('membership proven in HELLO', () => {
  it('`gas init --team` certifies the lead itself; a lead workspace made before that gets one on first use', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const cert = await readOwnCertificate(lead)
    expect(cert?.member).toEqual({ name: 'ana', publicKey: lead.identity.publicKey, roles: ['lead'] })
    expect(() => verifyCertificate(cert!, lead.config.team!)).not.toThrow()
    await lead.fs.rm(`${lead.gasDir}/certificate.json`)
    expect(await readOwnCertificate(lead)).toEqual(cert) // Ed25519 signatures are deterministic
    const loner = await gas.init({ dir: tmp(), name: 'lone' })
    expect(await readOwnCertificate(loner)).toBeNull()
  })

  it('a member and the lead accept each other: key, both nonces, team and certificate', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const bo = await member(lead, 'bo')
    await expect(check(lead, await signedHello(bo))).resolves.toBe('no error')
    await expect(check(bo, await signedHello(lead))).resolves.toBe('no error')
  })

  it('an outsider who wrote the team into its config by hand is refused, and cannot even sign a HELLO', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const outsider = await gas.init({ dir: tmp(), name: 'mallory' })
    outsider.config = { ...outsider.config, team: lead.config.team }
    await outsider.saveConfig()
    // its own side refuses to pretend: no certificate, a clear message
    expect(await codeOf(gas.peerSecurity(outsider).sign({ remoteNonce: ourNonce, ourNonce: theirNonce }))).toBe('E_AUTH')
    // a patched client sending no certificate, or one it made itself, is refused by members
    const signature = signBytes(outsider.identity, challengeBytes(ourNonce, theirNonce, outsider.identity.publicKey, lead.config.team!.id))
    const bare: HelloMessage = { type: 'HELLO', version: PROTOCOL_VERSION, capabilities: [], peerId: '11'.repeat(32), name: 'mallory', publicKey: outsider.identity.publicKey, teamId: lead.config.team!.id, nonce: theirNonce, signature, certificate: null }
    expect(await check(lead, bare)).toBe('E_AUTH')
    const selfMade = issueCertificate(createIdentity('fake root'), lead.config.team!.id, { name: 'mallory', publicKey: outsider.identity.publicKey, roles: ['lead'] })
    expect(await check(lead, { ...bare, certificate: selfMade })).toBe('E_BAD_SIGNATURE')
  })

  it('refuses another team\'s certificate, someone else\'s certificate, a replayed or relayed signature, and a version 1 peer', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const bo = await member(lead, 'bo')
    const elfLead = await gas.init({ dir: tmp(), name: 'elrond', team: 'elves' })
    const elf = await member(elfLead, 'legolas')
    expect(await check(lead, await signedHello(elf))).toBe('E_AUTH') // other team id
    expect(await check(lead, await signedHello(elf, ourNonce, { teamId: lead.config.team!.id }))).toBe('E_AUTH') // signature bound to its real team
    const elfCert = (await readOwnCertificate(elf))!
    const spoof = await signedHello(bo, ourNonce, { certificate: { ...elfCert, team: lead.config.team!.id } })
    expect(await check(lead, spoof)).toBe('E_BAD_SIGNATURE')
    // bo presents cy's (valid) certificate: the key that signed the challenge is not the certified one
    const cy = await member(lead, 'cy')
    expect(await check(lead, await signedHello(bo, ourNonce, { certificate: await readOwnCertificate(cy) }))).toBe('E_AUTH')
    // a signature made for another connection (other verifier nonce, or other own nonce)
    expect(await check(lead, await signedHello(bo, 'ef'.repeat(32)))).toBe('E_AUTH')
    expect(await check(lead, { ...(await signedHello(bo)), nonce: 'ef'.repeat(32) })).toBe('E_AUTH')
    expect(await check(lead, { ...(await signedHello(bo)), signature: null })).toBe('E_AUTH')
    const old = await signedHello(bo, ourNonce, { version: 1 })
    expect(await check(lead, old)).toBe('E_PROTOCOL_VERSION')
    expect(() => verifyMember(lead.config.team)(old, ourNonce)).toThrow(/protocol version 1.*upgrade gas/)
  })

  it('accepts a certificate signed by an admin (who carries the root-signed one), refuses one signed by a non-admin', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const admin = await member(lead, 'ada', ['admin'])
    const artist = await member(lead, 'art', ['artist'])
    const dan = await gas.init({ dir: tmp(), name: 'dan' })
    const danMember = { name: 'dan', publicKey: dan.identity.publicKey, roles: ['qa'] }
    const byAdmin = issueCertificate(admin.identity, lead.config.team!.id, danMember, (await readOwnCertificate(admin))!)
    expect(() => verifyCertificate(byAdmin, lead.config.team!)).not.toThrow()
    const byArtist = issueCertificate(artist.identity, lead.config.team!.id, danMember, (await readOwnCertificate(artist))!)
    expect(codeOfSync(() => verifyCertificate(byArtist, lead.config.team!))).toBe('E_AUTH')
    const forgedIssuer: MemberCertificate = { ...(await readOwnCertificate(artist))!, member: { ...(await readOwnCertificate(artist))!.member, roles: ['admin'] } }
    expect(codeOfSync(() => verifyCertificate(issueCertificate(artist.identity, lead.config.team!.id, danMember, forgedIssuer), lead.config.team!))).toBe('E_BAD_SIGNATURE')
    const chain = issueCertificate(admin.identity, lead.config.team!.id, danMember, byAdmin)
    expect(codeOfSync(() => verifyCertificate(chain, lead.config.team!))).toBe('E_AUTH')
  })

  it('a corrupt certificate file is a typed error, not a crash', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    await lead.fs.writeFile(`${lead.gasDir}/certificate.json`, '{oops')
    expect(await codeOf(readOwnCertificate(lead))).toBe('E_AUTH')
  })
})

async function check (verifier: gas.Workspace, hello: HelloMessage): Promise<string> {
  return codeOfSync(() => verifyMember(verifier.config.team)(hello, ourNonce))
}
