import { afterEach, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { GasError } from '../../src/errors.js'
import { ManualClock } from '../../src/clock.js'
import { FRAME_VERSION, decodeMessage, encodeMessage } from '../../src/peer/wire/messages.js'
import { GOODBYE_LINGER_MS } from '../../src/peer/session/session-options.js'
import { PeerSession, randomIdentity } from '../../src/peer/session/session.js'
import { openSessions } from '../../src/peer/sync/open-sessions.js'
import { syncRepo } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import { buildVersion, KiB, pseudoRandomBytes, setRef } from '../net/helpers.js'
import { Repos } from '../net/scenario.js'
import { useTmp } from '../helpers/tmp.js'
import { LegacyPeer } from './legacy-peer.js'
import { helloFrame } from './hello-frame.js'

/**
 * How the protocol grows, kept by tests: a version 2 peer and a version 1 peer still sync (the new
 * one speaks the old conventions to a peer without the capabilities), a frame with an unknown
 * message id is skipped, and a team member refuses a version 1 peer with a typed error naming it.
 */

const repos = new Repos()
afterEach(async () => await repos.cleanup())
const tmp = useTmp()

describe('protocol version 2 with version 1 peers', () => {
  it('syncs from a version 1 peer: its empty REFS ends the advertisement, its empty CANCEL means done, we send it nothing it does not know', async () => {
    const oldStore = new MemoryStore()
    const v = await buildVersion(oldStore, [{ path: 'a.bin', bytes: pseudoRandomBytes('a', 300 * KiB) }])
    const [mine, theirs] = MemoryTransport.pair({ b: 'old' })
    const old = new LegacyPeer(theirs, oldStore, 'old', [{ name: 'refs/heads/main', id: v.version }], true)
    void old.hello()
    const refs = await repos.refs('me')
    const store = new MemoryStore()
    const result = await syncRepo({ store, refs, transports: [mine], lingerIdleMs: 0 })
    expect(result.dropped).toEqual([])
    expect(await refs.read('refs/heads/main')).toBe(v.version)
    expect(result.missing).toEqual([])
    for (const id of oldStore.objects.keys()) expect(await store.has(id)).toBe(true)
    await old.until(() => old.remoteDone)
    expect(old.error).toBeUndefined()
    expect(old.refs).toBeDefined() // our advertisement ended the old way
    expect(old.remoteDone).toBe(true) // and our "done" too
  })

  it('serves a version 1 peer: REFS ended by an empty REFS, blocks, and its empty CANCEL read as done', async () => {
    const store = new MemoryStore()
    const v = await buildVersion(store, [{ path: 'b.bin', bytes: pseudoRandomBytes('b', 100 * KiB) }])
    const serverRefs = await repos.refs('server')
    await setRef(serverRefs, 'refs/heads/main', v.version)
    const [mine, theirs] = MemoryTransport.pair({ b: 'old' })
    const old = new LegacyPeer(theirs, new MemoryStore(), 'old')
    void old.hello()
    const session = await serveRepo({ store, refs: serverRefs, transport: mine, peerName: 'new' })
    await old.until(() => old.refs !== undefined)
    expect(old.refs).toEqual([{ name: 'refs/heads/main', id: v.version }])
    await old.want([v.version, v.tree])
    await old.until(() => old.blocks.size === 2)
    const done = new Promise<void>((resolve) => session.onRemoteDone(resolve))
    await old.sendDone()
    await done
    expect(session.remoteDone).toBe(true)
    expect(old.error).toBeUndefined()
    expect(session.remote.version).toBe(1)
    expect(session.remoteCan('done')).toBe(false)
    session.close()
  })

  it('a team member refuses a version 1 peer with E_PROTOCOL_VERSION naming the version (it proves no membership)', async () => {
    const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    const [mine, theirs] = MemoryTransport.pair({ b: 'old' })
    const old = new LegacyPeer(theirs, new MemoryStore(), 'old')
    void old.hello()
    const { sessions, dropped } = await openSessions([mine], lead.store, { peerName: 'ana', ...gas.peerSecurity(lead) })
    expect(sessions).toEqual([])
    expect(dropped).toEqual([expect.objectContaining({ peer: 'old', code: 'E_PROTOCOL_VERSION' })])
    expect(dropped[0].message).toMatch(/protocol version 1.*upgrade gas on old/)
    await old.until(() => theirs.closed)
    expect(old.error).toBeUndefined() // no GOODBYE (id 11) sent to a peer that does not list it
    await lead.close()
  })
})

describe('a newer peer: unknown message ids are reported and skipped, never fatal', () => {
  it('counts and reports a frame with an unknown id, then goes on serving', async () => {
    const store = new MemoryStore()
    const objectId = await store.put('chunk', pseudoRandomBytes('u', 1000))
    const [raw, b] = MemoryTransport.pair()
    const opening = PeerSession.open({ transport: b, store, identity: randomIdentity('server') })
    // a future peer: version 3, a capability we lack, and a message of its own right behind HELLO
    await raw.send(helloFrame(randomIdentity('future'), 'ab'.repeat(32), null, { version: 3, capabilities: ['done', 'end-of-refs', 'teleport'] }))
    await raw.send(Uint8Array.of(FRAME_VERSION, 42, 1, 2, 3))
    const session = await opening
    const reported: number[] = []
    session.onUnknownMessage((id) => reported.push(id))
    const frames: Uint8Array[] = []
    raw.onFrame((f) => frames.push(f))
    await raw.send(Uint8Array.of(FRAME_VERSION, 200))
    await raw.send(encodeMessage({ type: 'WANT', ids: [objectId], mode: 'have', priority: 0 }))
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(session.closed).toBe(false)
    expect(session.unknownMessages).toBe(2)
    expect(reported).toEqual([200])
    expect(frames.map((f) => f[1]).filter((id) => id !== 1)).toEqual([4]) // HAVE (besides our own HELLO)
    session.close()
  })

  it('between two version 2 peers, "done" and "end of refs" are messages of their own; an empty CANCEL or REFS means nothing more', async () => {
    const [a, b] = MemoryTransport.pair()
    const [client, server] = await Promise.all([
      PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('client') }),
      PeerSession.open({ transport: b, store: new MemoryStore(), identity: randomIdentity('server') })
    ])
    const sent: number[] = []
    const send = b.send.bind(b)
    b.send = async (frame) => { sent.push(frame[1]); await send(frame) }
    const id = 'a'.repeat(64)
    await server.advertiseRefs([{ name: 'refs/heads/main', id }])
    await server.sendDone()
    expect(sent).toEqual([2, 10, 9]) // REFS, END_OF_REFS, DONE
    expect(await client.waitRefs()).toEqual([{ name: 'refs/heads/main', id }])
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(client.remoteDone).toBe(true)
    client.remoteDone = false
    await b.send(encodeMessage({ type: 'CANCEL', ids: [] }))
    await b.send(encodeMessage({ type: 'REFS', refs: [] }))
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(client.remoteDone).toBe(false)
    expect(client.closed).toBe(false)
    client.close()
  })
})

describe('GOODBYE: a refusal reaches the refused side as a reason', () => {
  it('the refusing side says why, then closes after GOODBYE_LINGER_MS if the remote does not', async () => {
    const clock = new ManualClock()
    const [raw, b] = MemoryTransport.pair({ b: 'refuser' })
    const frames: Uint8Array[] = []
    raw.onFrame((f) => frames.push(f))
    const opening = PeerSession.open({ transport: b, store: new MemoryStore(), identity: randomIdentity('refuser'), clock, verify: () => { throw new GasError('E_AUTH', 'raw presented no membership certificate of team orcs: not a member') } })
    opening.catch(() => {})
    const id = randomIdentity('raw')
    await raw.send(helloFrame(id, 'ab'.repeat(32)))
    await raw.send(helloFrame(id, 'ab'.repeat(32), 'ee'.repeat(64)))
    await expect(opening).rejects.toMatchObject({ code: 'E_AUTH' })
    await clock.advanceAsync(0)
    const goodbye = frames.map((f) => decodeMessage(f)).find((m) => m.type === 'GOODBYE')
    expect(goodbye).toEqual({ type: 'GOODBYE', code: 'E_AUTH', message: 'raw presented no membership certificate of team orcs: not a member' })
    expect(raw.closed).toBe(false)
    await clock.advanceAsync(GOODBYE_LINGER_MS - 1)
    expect(raw.closed).toBe(false)
    await clock.advanceAsync(1)
    expect(raw.closed).toBe(true)
  })

  it('a GOODBYE for another reason is a lost peer naming it', async () => {
    const [a, b] = MemoryTransport.pair({ b: 'leaver' })
    const opening = PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('me') })
    await b.send(helloFrame(randomIdentity('leaver'), 'ab'.repeat(32)))
    const session = await opening
    const closed = new Promise<GasError | undefined>((resolve) => session.onClose(resolve))
    await b.send(encodeMessage({ type: 'GOODBYE', code: 'E_SHUTTING_DOWN', message: 'restarting for an update' }))
    const err = await closed
    expect(err?.code).toBe('E_PEER_LOST')
    expect(err?.message).toMatch(/E_SHUTTING_DOWN: restarting for an update/)
  })
})
