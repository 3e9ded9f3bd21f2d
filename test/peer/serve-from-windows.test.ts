import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StreamTransport } from '../../src/peer/transport/tcp-transport.js'
import { LARGE_FRAME } from '../../src/peer/transport/transport.js'
import { BlockServer } from '../../src/peer/session/block-server.js'
import { PeerLedger } from '../../src/peer/session/ledger.js'
import { BlockAssembler, decodeMessage, type BlockMessage } from '../../src/peer/wire/messages.js'
import { FileStore } from '../../src/pack/file-store.js'
import type { LendingPool } from '../../src/pack/lending-pool.js'
import { hashObject } from '../../src/objects/id.js'
import { packChunks } from '../helpers/pack-handles.js'
import { useSocketPairs } from '../helpers/socket-pair.js'
import { useTmp } from '../helpers/tmp.js'

/**
 * A serving peer reading a run from a pack on disk (cached reads, objects lent out of read-ahead
 * windows without a promise each) over a real TCP socket pair on 127.0.0.1.
 */

const socketPair = useSocketPairs()
const tmp = useTmp()

describe('BlockServer serving a run out of a pack', () => {
  it('serves most objects at once from windows already read; every object arrives exact, after a CANCEL mid-run too', async () => {
    const dir = tmp()
    const bodies = Array.from({ length: 120 }, (_, i) => randomBytes(30_000 + (i * 7919) % 90_000))
    const ids = await packChunks(join(dir, 'objects'), bodies)
    const store = await FileStore.open(join(dir, 'objects'))
    // a pack is written past the page cache; read once here, its windows are read from the cache at once
    await readFile(store.locatePacked(ids[0])!.pack.packPath)
    let atOnce = 0
    const getEncodedNow = store.getEncodedNow.bind(store)
    store.getEncodedNow = (id: string, pool: LendingPool) => {
      const object = getEncodedNow(id, pool)
      if (object !== undefined) atOnce++
      return object
    }

    const [client, other] = await socketPair()
    const sending = new StreamTransport(client, 'sender')
    const receiving = new StreamTransport(other, 'receiver')
    const assembler = new BlockAssembler()
    const received = new Map<string, Uint8Array>()
    receiving.onFrame((frame) => {
      const msg = decodeMessage(frame)
      const blocks: BlockMessage[] = msg.type === 'BLOCK' ? [msg] : msg.type === 'LARGE_BATCH' || msg.type === 'BATCH' ? msg.blocks : []
      for (const block of blocks) {
        const whole = assembler.add(block)
        if (whole !== undefined) received.set(whole.id, new Uint8Array(whole.bytes))
      }
    })
    const server = new BlockServer({
      store,
      transport: sending,
      ledger: new PeerLedger('receiver'),
      send: async () => {},
      dontHave: async () => {},
      open: () => !sending.closed,
      mayServe: () => true,
      maxFrame: () => LARGE_FRAME
    })
    const expectExact = (wanted: string[]): void => {
      for (const id of wanted) expect(hashObject('chunk', received.get(id)!)).toBe(id)
    }

    for (const id of ids) server.queue.add(id, 1)
    await server.serve()
    await expect.poll(() => received.size).toBe(ids.length)
    expectExact(ids)
    expect(atOnce).toBeGreaterThan(ids.length / 2)

    // a CANCEL of most of a run while it is served: what was prefetched goes back, what is sent stays exact
    received.clear()
    for (const id of ids) server.queue.add(id, 1)
    const serving = server.serve()
    server.cancel(ids.slice(10))
    await serving
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(received.size).toBeLessThan(ids.length)
    expectExact([...received.keys()])
    // the windows those loans held are reused now: the whole run once more, exact
    received.clear()
    for (const id of ids) server.queue.add(id, 1)
    await server.serve()
    await expect.poll(() => received.size).toBe(ids.length)
    expectExact(ids)
    server.clear()
    sending.close()
    await store.closeAll()
  })
})
