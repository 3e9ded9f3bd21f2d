import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { verifyLockRecord } from '../../src/auth/lock-verify.js'
import { issueCertificate } from '../../src/auth/member-certificate.js'
import { signedLockPart, type LockRecord } from '../../src/objects/lock-record.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { randomIdentity, type PeerIdentity } from '../../src/peer/session/session.js'
import { syncRepo, type SyncResult } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { createIdentity, signBytes } from '../../src/repo/identity.js'
import { clockFromEnv } from '../../src/repo/env-clock.js'
import { takeLockNotices } from '../../src/repo/lock-notices.js'
import { readLockRecords, storeLockRecord } from '../../src/repo/lock-store.js'
import { lockedByOthersIn } from '../../src/repo/lock-warnings.js'
import { lockedChanges } from '../../src/repo/locked-changes.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const opened: gas.Workspace[] = []
afterEach(async () => { for (const ws of opened.splice(0)) await ws.close() })
const HOUR = 3600_000
const T0 = Date.UTC(2026, 10, 30, 9)

/** A clock each workspace reads, moved by the test */
function manualNow (start: number): { now: () => number, set: (ms: number) => void } {
  let t = start
  return { now: () => t, set: (ms) => { t = ms } }
}

async function team (clock: { now: () => number }): Promise<{ ana: gas.Workspace, bo: gas.Workspace, cy: gas.Workspace }> {
  const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs', clock })
  ana.config.timeZone = 'Asia/Tokyo'
  const member = async (name: string, timeZone: string): Promise<gas.Workspace> => {
    const ws = await gas.init({ dir: tmp(), name, clock })
    await joinTeam(ws, JSON.stringify(await createInvite(ana, { publicKey: ws.identity.publicKey, name, roles: ['artist'] })))
    ws.config.timeZone = timeZone
    return ws
  }
  const all = { ana, bo: await member('bo', 'Europe/Paris'), cy: await member('cy', 'America/New_York') }
  opened.push(all.ana, all.bo, all.cy)
  return all
}

function identityOf (ws: gas.Workspace): PeerIdentity {
  return { ...randomIdentity(ws.identity.name, ws.config.team?.id ?? null), publicKey: ws.identity.publicKey }
}

/** `client` syncs with `server`'s serve, both exchanging locks, over an in-memory link */
async function exchange (server: gas.Workspace, client: gas.Workspace): Promise<SyncResult> {
  const [a, b] = MemoryTransport.pair({ a: server.identity.name, b: client.identity.name })
  const serving = serveRepo({ store: server.store, refs: server.refs, transport: b, identity: identityOf(server), ...gas.peerSecurity(server), locks: gas.lockExchangeOf(server) })
  const result = await syncRepo({ store: client.store, refs: client.refs, transports: [a], identity: identityOf(client), ...gas.peerSecurity(client), locks: gas.lockExchangeOf(client), lingerIdleMs: 5000 })
  const session = await serving
  session.close()
  return result
}

async function table (ws: gas.Workspace): Promise<Array<[string, string, string]>> {
  return (await gas.activeLocks(ws)).map((l) => [l.path, l.holder.name, new Date(l.expires).toISOString()])
}

describe('gas.lock / gas.unlock', () => {
  it('locks, renews, refuses another member with E_LOCKED_BY_OTHER naming holder and expiry, and unlocks', async () => {
    const clock = manualNow(T0)
    const { ana, bo } = await team(clock)
    const first = await gas.lock({ ws: bo, path: 'art/hero.psd', reason: 'rigging' })
    expect(first.renewed).toBe(false)
    expect(first.lock.expires - first.lock.at).toBe(gas.DEFAULT_LOCK_TTL_MS)
    const renewed = await gas.lock({ ws: bo, path: 'art/hero.psd', ttlMs: 2 * HOUR })
    expect(renewed.renewed).toBe(true)
    await exchange(bo, ana)
    expect(await table(ana)).toEqual([['art/hero.psd', 'bo', new Date(T0 + 2 * HOUR).toISOString()]])
    await expect(gas.lock({ ws: ana, path: 'art/hero.psd' })).rejects.toMatchObject({
      code: 'E_LOCKED_BY_OTHER',
      message: expect.stringContaining('locked by bo until 2026-11-30 20:00 Asia/Tokyo (rigging)'),
      data: expect.objectContaining({ holder: 'bo', expires: '2026-11-30T11:00:00.000Z' })
    })
    await expect(gas.unlock({ ws: ana, path: 'art/hero.psd' })).rejects.toMatchObject({ code: 'E_LOCKED_BY_OTHER' })
    await expect(gas.unlock({ ws: ana, path: 'nothing.psd' })).rejects.toMatchObject({ code: 'E_NOT_LOCKED' })
    await expect(gas.lock({ ws: bo, path: '../out.psd' })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await expect(gas.lock({ ws: bo, path: 'a.psd', ttlMs: 10 })).rejects.toMatchObject({ code: 'E_BAD_TTL' })
    await expect(gas.lock({ ws: bo, path: 'a.psd', reason: 'x'.repeat(5000) })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    const released = await gas.unlock({ ws: bo, path: 'art/hero.psd' })
    expect(released).toMatchObject({ broken: false, holder: 'bo' })
    await exchange(bo, ana)
    expect(await table(ana)).toEqual([])
    expect((await gas.lock({ ws: ana, path: 'art/hero.psd' })).lock.holder.name).toBe('ana')
  })

  it('lets only a lead or admin break another member\'s lock; the signed break reaches the holder, who is told once', async () => {
    const clock = manualNow(T0)
    const { ana, bo, cy } = await team(clock)
    await gas.lock({ ws: bo, path: 'rig.fbx' })
    await exchange(bo, ana)
    await exchange(bo, cy)
    await expect(gas.unlock({ ws: cy, path: 'rig.fbx', break: true })).rejects.toMatchObject({ code: 'E_DENIED', message: expect.stringContaining('only a lead or admin') })
    clock.set(T0 + HOUR)
    const broken = await gas.unlock({ ws: ana, path: 'rig.fbx', break: true })
    expect(broken).toMatchObject({ broken: true, holder: 'bo', path: 'rig.fbx' })
    const result = await exchange(ana, bo)
    expect(result.locks?.adopted).toBe(1)
    expect(await table(bo)).toEqual([])
    expect(await takeLockNotices(bo)).toEqual({ lost: [], broken: [expect.objectContaining({ path: 'rig.fbx', by: 'ana', at: T0 + HOUR })] })
    expect(await takeLockNotices(bo)).toEqual({ lost: [], broken: [] })
    // cy learns it from bo: records travel through any peer
    await exchange(bo, cy)
    expect(await table(cy)).toEqual([])
  })

  it('two members locking one path apart: the earlier lease wins on every peer, and the loser is told', async () => {
    const clock = manualNow(T0)
    const { ana, bo, cy } = await team(clock)
    await gas.lock({ ws: bo, path: 'art/hero.psd', reason: 'bo first' })
    clock.set(T0 + 60_000)
    await gas.lock({ ws: cy, path: 'art/hero.psd', reason: 'cy later' })
    await exchange(ana, cy) // cy's lease reaches ana's serve
    expect((await table(ana))[0][1]).toBe('cy')
    expect(await takeLockNotices(cy)).toEqual({ lost: [], broken: [] })
    await exchange(ana, bo) // bo's earlier lease reaches ana; bo is not told anything
    expect(await takeLockNotices(bo)).toEqual({ lost: [], broken: [] })
    await exchange(ana, cy)
    for (const ws of [ana, bo, cy]) expect(await table(ws)).toEqual([['art/hero.psd', 'bo', new Date(T0 + 8 * HOUR).toISOString()]])
    expect(await takeLockNotices(cy)).toEqual({ lost: [expect.objectContaining({ path: 'art/hero.psd', holder: 'bo', reason: 'bo first', expires: T0 + 8 * HOUR })], broken: [] })
    // expiry on the clock: the path is free everywhere at once, with no message exchanged
    clock.set(T0 + 8 * HOUR)
    for (const ws of [ana, bo, cy]) expect(await table(ws)).toEqual([])
    // records are forgotten only once every lease of the path is over (cy's lost one ends a minute later)
    expect(await gas.pruneExpiredLocks(ana, { graceMs: 0 })).toBe(0)
    clock.set(T0 + 9 * HOUR)
    expect(await gas.pruneExpiredLocks(ana, { graceMs: 0 })).toBe(2)
    expect(await readLockRecords(ana.refs, ana.store)).toEqual([])
    // a pruned record offered again long after is not adopted
    clock.set(T0 + 30 * 24 * HOUR)
    expect((await exchange(bo, ana)).locks).toEqual({ adopted: 0, rejected: [] })
  })

  it('refuses forged, tampered and unauthorised records with a typed reason, records them, and keeps syncing', async () => {
    const clock = manualNow(T0)
    const { ana, bo } = await team(clock)
    await gas.lock({ ws: bo, path: 'good.psd' })
    const [good] = await readLockRecords(bo.refs, bo.store)
    const sign = (record: LockRecord, by = bo): LockRecord => ({ ...record, signature: signBytes(by.identity, signedLockPart({ ...record, signature: null })) })
    // tampered after signing: another path and a longer lease under bo's signature
    const tampered = { ...good.record, path: 'tampered.psd', expires: T0 + 20 * HOUR } as LockRecord
    // a break signed by bo, who is an artist
    const { expires: _e, reason: _r, ...base } = good.record as LockRecord & { expires: number, reason: string }
    const selfBreak = sign({ ...base, kind: 'break', path: 'break.psd', lease: good.id, holder: 'ana' } as LockRecord)
    // a certificate from a root key of its own
    const fakeCert = issueCertificate(createIdentity('fake root'), ana.config.team!.id, { name: 'bo', publicKey: bo.identity.publicKey, roles: ['lead'] })
    const fakeTeam = sign({ ...good.record, path: 'fake.psd', certificate: fakeCert } as LockRecord)
    // someone else's certificate
    const otherCert = sign({ ...good.record, path: 'other.psd', certificate: (good.record.certificate as { issuer?: unknown }) === null ? null : { ...(good.record.certificate as object), member: { name: 'ana', publicKey: ana.identity.publicKey, roles: ['lead'] } } } as LockRecord)
    const noCert = sign({ ...good.record, path: 'nocert.psd', certificate: null } as LockRecord)
    for (const r of [tampered, selfBreak, fakeTeam, otherCert, noCert]) await storeLockRecord(bo.refs, bo.store, r, { who: 'test', now: T0, message: 'forged' })
    const result = await exchange(bo, ana)
    expect(result.peers).toBe(1)
    expect(result.locks?.adopted).toBe(1)
    const codes = Object.fromEntries((result.locks?.rejected ?? []).map((r) => [r.ref.split('/')[2], r.code]))
    expect(codes).toEqual({ 'tampered=2Epsd': 'E_BAD_SIGNATURE', 'break=2Epsd': 'E_DENIED', 'fake=2Epsd': 'E_BAD_SIGNATURE', 'other=2Epsd': expect.stringMatching(/E_BAD_SIGNATURE|E_AUTH/), 'nocert=2Epsd': 'E_AUTH' })
    expect(await table(ana)).toEqual([['good.psd', 'bo', new Date(T0 + 8 * HOUR).toISOString()]])
    // recorded in the workspace's log
    await new Promise((resolve) => setTimeout(resolve, 100))
    const log = readFileSync(join(ana.gasDir, 'logs', 'rejected-locks'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(log).toHaveLength(5)
    expect(log[0]).toMatchObject({ peer: 'bo', code: expect.stringMatching(/^E_/) })
    // outside a team only the signature is checked
    expect(() => verifyLockRecord(good.record, null)).not.toThrow()
    expect(() => verifyLockRecord({ ...good.record, signature: null }, null)).toThrow(expect.objectContaining({ code: 'E_BAD_SIGNATURE' }))
  })

  it('names the committed paths another member holds a lock on (and not one\'s own)', async () => {
    const clock = manualNow(T0)
    const { ana, bo } = await team(clock)
    writeFileSync(join(ana.root, 'hero.psd'), 'v1')
    writeFileSync(join(ana.root, 'mine.psd'), 'v1')
    await gas.add(ana, { paths: ['hero.psd', 'mine.psd'] })
    const v1 = await gas.commit(ana, { message: 'first' })
    expect(await lockedByOthersIn(ana, v1)).toEqual([])
    await gas.lock({ ws: bo, path: 'hero.psd' })
    await gas.lock({ ws: ana, path: 'mine.psd' })
    await exchange(bo, ana)
    expect((await lockedByOthersIn(ana, v1)).map((l) => l.path)).toEqual(['hero.psd'])
    writeFileSync(join(ana.root, 'mine.psd'), 'v2')
    await gas.add(ana, { paths: ['mine.psd'] })
    const v2 = await gas.commit(ana, { message: 'mine only' })
    expect(await lockedByOthersIn(ana, v2)).toEqual([])
  })

  it('reads $GAS_NOW as epoch ms or ISO time', () => {
    expect(clockFromEnv({})).toBeUndefined()
    expect(clockFromEnv({ GAS_NOW: '1000' })?.now()).toBe(1000)
    expect(clockFromEnv({ GAS_NOW: '2026-11-30T09:00:00Z' })?.now()).toBe(T0)
    expect(() => clockFromEnv({ GAS_NOW: 'tomorrow' })).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
  })

  it('a locked file changed by another member is named when a sync brings the change, to the holder and to others; the holder\'s own change is not', async () => {
    const { ana, bo, cy } = await team(manualNow(T0))
    const commitFile = async (ws: gas.Workspace, bytes: string, message: string): Promise<string> => {
      writeFileSync(join(ws.root, 'hero.png'), bytes)
      await gas.add(ws, { paths: [join(ws.root, 'hero.png')] })
      return await gas.commit(ws, { message })
    }
    await commitFile(ana, 'base', 'base')
    for (const ws of [bo, cy]) await exchange(ana, ws)
    await gas.lock({ ws: bo, path: 'hero.png', reason: 'repaint' })
    await exchange(ana, bo)
    await exchange(ana, cy)
    // cy changes it anyway (commit only warns); ana takes cy's version
    await commitFile(cy, 'cy paints', 'cy paints')
    const anaBefore = await ana.head()
    await exchange(cy, ana)
    expect(await lockedChanges(ana, anaBefore, await ana.head(), ['hero.png'])).toEqual([{ path: 'hero.png', holder: 'bo', holderIsUs: false, by: ['cy'] }])
    expect(await lockedChanges(ana, anaBefore, await ana.head(), ['other.png'])).toEqual([]) // the sync did not change the locked file here
    // the holder learns it
    const boBefore = await bo.head()
    await exchange(ana, bo)
    expect(await lockedChanges(bo, boBefore, await bo.head(), ['hero.png'])).toEqual([{ path: 'hero.png', holder: 'bo', holderIsUs: true, by: ['cy'] }])
    // the holder's own change travels without a word
    await commitFile(bo, 'bo paints', 'bo paints')
    const before = await ana.head()
    await exchange(bo, ana)
    expect(await ana.head()).not.toBe(before)
    expect(await lockedChanges(ana, before, await ana.head(), ['hero.png'])).toEqual([])
  })
})
