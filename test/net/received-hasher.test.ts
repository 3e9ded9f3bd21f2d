import { afterEach, describe, expect, it } from 'vitest'
import { FileStore } from '../../src/pack/file-store.js'
import { checkStore } from '../../src/pack/fsck.js'
import { hashObject } from '../../src/objects/id.js'
import { crc32Of, entryChecksum } from '../../src/pack/entry-checksum.js'
import type { EncodedObject } from '../../src/objects/store.js'
import { hashReceived, MIN_OFF_THREAD_BYTES, ReceivedHasher, RING_BYTES, receivedHasherReady, receivedObjectsHashedOffThread } from '../../src/peer/swarm/received-hasher.js'
import { SharedFrames } from '../../src/peer/transport/shared-frames.js'
import { StreamTransport } from '../../src/peer/transport/tcp-transport.js'
import type { Transport } from '../../src/peer/transport/transport.js'
import { useSocketPairs } from '../helpers/socket-pair.js'
import { useTmp } from '../helpers/tmp.js'
import { buildVersion, cloneStore, KiB, MiB, pseudoRandomBytes, readFileContent, setRef } from './helpers.js'
import { CorruptingStore, Repos, serveOn, timedSync, type Seeder } from './scenario.js'
import { MemoryStore } from '../../src/objects/memory-store.js'

const repos = new Repos()
afterEach(async () => await repos.cleanup())
const socketPair = useSocketPairs()
const tmp = useTmp()

async function seeder (name: string, store = new MemoryStore()): Promise<Seeder> {
  return { name, store, refs: await repos.refs(name) }
}

/** the two ends of a real TCP connection on 127.0.0.1, framed as the direct path frames (large frames, received into shared memory) */
async function tcpPair (): Promise<[Transport, Transport]> {
  const [a, b] = await socketPair()
  return [new StreamTransport(a, 'seeder'), new StreamTransport(b, 'me')]
}

function raw (bytes: Uint8Array, type: EncodedObject['type'] = 'chunk'): EncodedObject {
  return { type, encoding: 0, rawLength: bytes.length, bytes }
}

describe('received objects hashed on a second thread (received-hasher.ts)', () => {
  it('gives the id hashObject gives, for objects handed over together or apart; small or compressed ones are left to the store', async () => {
    expect(await receivedHasherReady()).toBe(true)
    const bodies = Array.from({ length: 6 }, (_, i) => pseudoRandomBytes(`c${i}`, 20 * KiB + i))
    // one turn (one frame's objects), views into one buffer as a frame holds them
    const frame = Buffer.concat(bodies)
    let at = 0
    const views = bodies.map((body) => { const view = frame.subarray(at, at + body.length); at += body.length; return view })
    const hashing = views.map((view) => hashReceived(raw(view)))
    // the copy was taken at once: the frame's buffer may be reused
    frame.fill(0)
    expect((await Promise.all(hashing)).map((h) => h?.id)).toEqual(bodies.map((body) => hashObject('chunk', body)))
    // a later turn, another type: the header is the type's
    const tree = pseudoRandomBytes('t', 30 * KiB)
    expect(await hashReceived(raw(tree, 'tree'))).toEqual({ id: hashObject('tree', tree) })
    expect(hashReceived(raw(Buffer.alloc(MIN_OFF_THREAD_BYTES - 1)))).toBeUndefined()
    expect(hashReceived({ ...raw(tree), encoding: 1 })).toBeUndefined()
  })

  it('while its worker starts, objects are left to the store (the first of a fetch does not wait ~25 ms for it); once it runs, it hashes them', async () => {
    const hasher = new ReceivedHasher()
    try {
      const body = pseudoRandomBytes('first', 40 * KiB)
      expect(hasher.hash(raw(body))).toBeUndefined()
      expect(await hasher.ready()).toBe(true)
      expect((await hasher.hash(raw(body)))?.id).toBe(hashObject('chunk', body))
      expect(hasher.hashed).toBe(1)
    } finally {
      await hasher.close()
    }
    // closed: the next object starts another worker, and is left to the store meanwhile
    expect(hasher.hash(raw(pseudoRandomBytes('after', 40 * KiB)))).toBeUndefined()
    await hasher.close()
  })

  it('objects in a shared frame are hashed where they lie (the ring\'s limit does not apply); a retired frame is let go by the worker, a new one taken up', async () => {
    const frames = new SharedFrames(RING_BYTES + 1024 * KiB, 2)
    const hasher = new ReceivedHasher(frames)
    try {
      expect(await hasher.ready()).toBe(true)
      const frame = frames.take()!
      const pieces = [RING_BYTES / 2, RING_BYTES / 2, 512 * KiB].map((length, i) => pseudoRandomBytes(`in-frame ${i}`, length))
      let at = 0
      const views = pieces.map((piece) => { piece.copy(frame, at); const view = frame.subarray(at, at + piece.length); at += piece.length; return view })
      // more than the ring holds, in one turn: all hashed (by way of the ring, the last would be left to the store)
      expect((await Promise.all(views.map((view) => hasher.hash(raw(view))))).map((h) => h?.id)).toEqual(pieces.map((piece) => hashObject('chunk', piece)))
      // a later turn, the same frame: the worker has it already
      expect((await hasher.hash(raw(views[2], 'tree')))?.id).toBe(hashObject('tree', pieces[2]))
      frames.retire(frame)
      const next = frames.take()!
      const body = pseudoRandomBytes('next frame', 100 * KiB)
      body.copy(next)
      expect((await hasher.hash(raw(next.subarray(0, body.length))))?.id).toBe(hashObject('chunk', body))
      expect(frames.takeRetired()).toEqual([]) // told to the worker with that batch
      expect(hasher.hashed).toBe(5)
    } finally {
      await hasher.close()
    }
  })

  it('with a seed, gives the CRC-32 continued over the bytes (the store\'s entry checksum) from the same pass, in a shared frame or the ring', async () => {
    const frames = new SharedFrames(256 * KiB, 1)
    const hasher = new ReceivedHasher(frames)
    try {
      expect(await hasher.ready()).toBe(true)
      const header = Buffer.from('an entry header')
      const body = pseudoRandomBytes('crc', 100 * KiB)
      const frame = frames.take()!
      body.copy(frame)
      let asked = 0
      const seedOf = (): number => { asked++; return crc32Of(header) }
      const [inFrame, inRing] = await Promise.all([hasher.hash(raw(frame.subarray(0, body.length)), seedOf), hasher.hash(raw(Buffer.from(body)), seedOf)])
      const expected = { id: hashObject('chunk', body), checksum: { seed: crc32Of(header), crc: entryChecksum(header, body) } }
      expect(inFrame).toEqual(expected)
      expect(inRing).toEqual(expected)
      // a small object stays with the store: its seed is never asked for
      expect(hasher.hash(raw(Buffer.alloc(100)), seedOf)).toBeUndefined()
      expect(asked).toBe(2)
    } finally {
      await hasher.close()
    }
  })

  it('when the ring is full, what does not fit is left to the store; what fits is hashed, and the ring is whole again after', async () => {
    expect(await receivedHasherReady()).toBe(true)
    const big = pseudoRandomBytes('big', 256 * KiB)
    const count = RING_BYTES / big.length + 4
    const answers = await Promise.all(Array.from({ length: count }, () => hashReceived(raw(big))))
    expect(answers.slice(0, count - 4).map((h) => h?.id)).toEqual(Array(count - 4).fill(hashObject('chunk', big)))
    expect(answers.slice(count - 4)).toEqual([undefined, undefined, undefined, undefined])
    // answered: its space is free again, including the end of the ring skipped by a wrap
    const odd = pseudoRandomBytes('odd', 300 * KiB)
    for (let i = 0; i < 20; i++) expect((await hashReceived(raw(odd)))?.id).toBe(hashObject('chunk', odd))
  })

  it('over TCP, a peer whose chunks do not match their ids is dropped (E_CORRUPT_OBJECT) and the file comes whole from the other; nothing bad is stored', async () => {
    expect(await receivedHasherReady()).toBe(true)
    const hashedBefore = receivedObjectsHashedOffThread()
    const bytes = pseudoRandomBytes('tcp-bad', 3 * MiB)
    const liar = await seeder('liar', new CorruptingStore())
    const honest = await seeder('honest')
    const v = await buildVersion(liar.store, [{ path: 'm.pak', bytes }])
    honest.store = cloneStore(liar.store)
    for (const s of [liar, honest]) await setRef(s.refs, 'refs/heads/main', v.version)
    const store = await FileStore.open(tmp())
    const { result } = await timedSync({ store, refs: await repos.refs('me'), transports: [serveOn(liar, await tcpPair()), serveOn(honest, await tcpPair())] })
    expect(result.missing).toEqual([])
    expect(result.dropped).toEqual([expect.objectContaining({ peer: 'liar', code: 'E_CORRUPT_OBJECT' })])
    expect((liar.store as CorruptingStore).served).toBeGreaterThan(0)
    expect((await readFileContent(store, v.assets.get('m.pak')!.file)).equals(bytes)).toBe(true)
    expect(await checkStore(store)).toEqual([])
    // the chunks were hashed off the main thread
    expect(receivedObjectsHashedOffThread()).toBeGreaterThan(hashedBefore)
    await store.closeAll()
  }, 60_000)

  it('over TCP, only a corrupting peer: its chunks stay missing, the ref is not moved, nothing corrupt is stored', async () => {
    const liar = await seeder('liar', new CorruptingStore())
    const v = await buildVersion(liar.store, [{ path: 'm.bin', bytes: pseudoRandomBytes('x', 1 * MiB) }])
    await setRef(liar.refs, 'refs/heads/main', v.version)
    const store = await FileStore.open(tmp())
    const refs = await repos.refs('me')
    const { result } = await timedSync({ store, refs, transports: [serveOn(liar, await tcpPair())] })
    expect(result.missing.length).toBeGreaterThan(0)
    expect(result.dropped).toEqual([expect.objectContaining({ peer: 'liar', code: 'E_CORRUPT_OBJECT' })])
    expect(await refs.read('refs/heads/main')).toBeUndefined()
    expect(await checkStore(store)).toEqual([])
    await store.closeAll()
  }, 60_000)
})
