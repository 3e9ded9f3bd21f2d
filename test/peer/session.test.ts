import { describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { hashObject } from '../../src/objects/id.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { FRAME_VERSION, encodeMessage, type HelloMessage } from '../../src/peer/wire/messages.js'
import { PeerSession, randomIdentity } from '../../src/peer/session/session.js'
import { helloFrame } from './hello-frame.js'
import type { Transport } from '../../src/peer/transport/transport.js'
import { pseudoRandomBytes } from '../net/helpers.js'
import { blocksOf, pair, tick } from './session-pair.js'

// What a session serves: session-serving.test.ts

/** A server session and a raw transport to poke it with arbitrary frames. */
async function rawPeer (store = new MemoryStore()): Promise<{ raw: Transport, server: PeerSession, frames: Uint8Array[], closed: Promise<GasError | undefined> }> {
  const [raw, b] = MemoryTransport.pair()
  const frames: Uint8Array[] = []
  raw.onFrame((f) => frames.push(f))
  const opening = PeerSession.open({ transport: b, store, identity: randomIdentity('server') })
  const id = randomIdentity('raw')
  await raw.send(helloFrame(id, 'ab'.repeat(32)))
  const server = await opening
  const closed = new Promise<GasError | undefined>((resolve) => server.onClose(resolve))
  return { raw, server, frames, closed }
}

describe('PeerSession handshake', () => {
  it('exchanges HELLO and knows the remote by name', async () => {
    const { client, server } = await pair()
    expect(client.name).toBe('server')
    expect(server.name).toBe('client')
    expect(client.remote.signature).toBeNull()
    client.close()
  })

  it('signs and verifies the challenge when configured', async () => {
    const seen: string[] = []
    const sign = ({ remoteNonce, ourNonce }: { remoteNonce: string, ourNonce: string }): { signature: string, certificate: null } => ({ signature: remoteNonce + ourNonce, certificate: null })
    const verify = (hello: HelloMessage, nonce: string): void => {
      seen.push(hello.signature!)
      // both nonces are bound: the verifier's and the signer's own, as sent in its first HELLO
      if (hello.signature !== nonce + hello.nonce) throw new GasError('E_AUTH', 'bad signature')
    }
    const { client, server } = await pair(new MemoryStore(), { serverOpts: { sign, verify }, clientOpts: { sign, verify } })
    expect(seen).toHaveLength(2)
    expect(client.remote.signature).not.toBeNull()
    expect(server.remote.signature).not.toBeNull()
    client.close()
  })

  it('a failed verification ends the handshake with E_AUTH', async () => {
    const [a, b] = MemoryTransport.pair()
    const results = await Promise.allSettled([
      PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('a'), sign: () => ({ signature: '00'.repeat(64), certificate: null }) }),
      PeerSession.open({ transport: b, store: new MemoryStore(), identity: randomIdentity('b'), verify: () => { throw new GasError('E_AUTH', 'not a member') } })
    ])
    expect(results[1].status).toBe('rejected')
    expect((results[1] as PromiseRejectedResult).reason.code).toBe('E_AUTH')
  })

  it('a signing peer talks to one that does not verify', async () => {
    const { client, server } = await pair(new MemoryStore(), { clientOpts: { sign: () => ({ signature: '11'.repeat(64), certificate: null }) } })
    await tick()
    expect(server.closed).toBe(false)
    client.close()
  })

  it('times out when the remote never says HELLO', async () => {
    const [a] = MemoryTransport.pair()
    await expect(PeerSession.open({ transport: a, store: new MemoryStore(), identity: randomIdentity('a'), handshakeTimeoutMs: 30 })).rejects.toMatchObject({ code: 'E_TIMEOUT' })
  })

  it('refuses a message before HELLO and a connection to itself', async () => {
    const [raw, b] = MemoryTransport.pair()
    const opening = PeerSession.open({ transport: b, store: new MemoryStore(), identity: randomIdentity('b') })
    await raw.send(encodeMessage({ type: 'HAVE', ids: [] }))
    await expect(opening).rejects.toMatchObject({ code: 'E_PROTOCOL' })

    const [x, y] = MemoryTransport.pair()
    const me = randomIdentity('me')
    const both = await Promise.allSettled([
      PeerSession.open({ transport: x, store: new MemoryStore(), identity: me }),
      PeerSession.open({ transport: y, store: new MemoryStore(), identity: me })
    ])
    expect(both.every((r) => r.status === 'rejected')).toBe(true)
  })

  it('REFS right behind HELLO in the same tick is kept for after the handshake', async () => {
    const [raw, b] = MemoryTransport.pair()
    const opening = PeerSession.open({ transport: b, store: new MemoryStore(), identity: randomIdentity('b') })
    void raw.send(helloFrame(randomIdentity('raw'), 'ab'.repeat(32)))
    void raw.send(encodeMessage({ type: 'END_OF_REFS' }))
    const session = await opening
    expect(session.remoteRefs).toEqual([])
  })

  it('a second unsigned HELLO ends the session', async () => {
    const { raw, closed } = await rawPeer()
    const id = randomIdentity('raw')
    await raw.send(helloFrame(id, 'cd'.repeat(32)))
    expect((await closed)?.code).toBe('E_PROTOCOL')
  })
})

describe('PeerSession: a bad message ends the session with a typed error, never the process', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['unknown frame version', Uint8Array.from([9, 3]), 'E_PROTOCOL_VERSION'],
    ['truncated WANT', Uint8Array.from([FRAME_VERSION, 3, 1, 0, 0, 5]), 'E_FRAME_LENGTH'],
    ['empty frame', new Uint8Array(0), 'E_FRAME_LENGTH'],
    ['trailing bytes after HAVE', Uint8Array.from([FRAME_VERSION, 4, 0, 0, 7]), 'E_FRAME_LENGTH'],
    ['BLOCK with an unknown object type', encodeMessage({ type: 'BLOCK', id: 'a'.repeat(64), objectType: 200, encoding: 0, rawLength: 3, totalLength: 3, offset: 0, bytes: Uint8Array.from([1, 2, 3]) }), 'E_CORRUPT_OBJECT'],
    ['BATCH with an unknown object type in its second block', encodeMessage({
      type: 'BATCH',
      blocks: [
        { type: 'BLOCK', id: 'a'.repeat(64), objectType: 0, encoding: 0, rawLength: 6, totalLength: 6, offset: 0, bytes: Uint8Array.from([1, 2, 3]) },
        { type: 'BLOCK', id: 'b'.repeat(64), objectType: 200, encoding: 0, rawLength: 3, totalLength: 3, offset: 0, bytes: Uint8Array.from([1, 2, 3]) }
      ]
    }), 'E_CORRUPT_OBJECT'],
    ['BATCH carrying a WANT', Uint8Array.from([FRAME_VERSION, 8, 0, 1, 3, 0, 4, 1, 0, 0, 0]), 'E_PROTOCOL']
  ]
  for (const [what, frame, code] of cases) {
    it(what, async () => {
      const { raw, server, closed } = await rawPeer()
      await raw.send(frame)
      const err = await closed
      expect(err).toBeInstanceOf(GasError)
      expect(err?.code).toBe(code)
      expect(server.closed).toBe(true)
      expect(raw.closed || await new Promise((resolve) => raw.onClose(() => resolve(true)))).toBe(true)
    })
  }

  it('the serving process keeps serving other peers after one session failed', async () => {
    const store = new MemoryStore()
    const id = await store.put('chunk', pseudoRandomBytes('x', 1000))
    const bad = await rawPeer(store)
    await bad.raw.send(Uint8Array.from([FRAME_VERSION, 4, 0, 0, 7]))
    await bad.closed
    const { client } = await pair(store)
    const blocks = blocksOf(client)
    await client.want([id], 'block', 1)
    await tick(20)
    expect(blocks.map((b) => b.id)).toEqual([id])
  })

  it('too many queued block requests is a protocol error', async () => {
    const stuck = new MemoryStore()
    stuck.getEncoded = async () => await new Promise(() => {})
    const { raw, closed } = await rawPeer(stuck)
    for (let m = 0; m < 40; m++) {
      const ids = Array.from({ length: 2000 }, (_, i) => hashObject('chunk', Uint8Array.of(i & 255, i >> 8, m)))
      await raw.send(encodeMessage({ type: 'WANT', ids, mode: 'block', priority: 0 })).catch(() => {})
    }
    expect((await closed)?.code).toBe('E_PROTOCOL')
  })
})
