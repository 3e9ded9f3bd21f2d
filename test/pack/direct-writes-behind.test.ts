import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import { hashObject } from '../../src/objects/id.js'
import { DIRECT_BATCH_BYTES } from '../../src/pack/direct-pack-batch.js'
import { FileStore } from '../../src/pack/file-store.js'
import { checkStore } from '../../src/pack/fsck.js'
import { heldWritesFs, settle } from '../helpers/pack-handles.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const KiB = 1024
const MiB = 1024 * KiB

/** waits (up to 10 s: the pack's creation is real file I/O) until `done` */
async function until (done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  await settle()
}

/** what a fetch stores: 64 KiB chunks through putEncoded (verified, appended to the received pack) */
function receivedChunks (count: number): Array<{ id: string, bytes: Buffer }> {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(64 * KiB)
    return { id: hashObject('chunk', bytes), bytes }
  })
}

async function putReceived (store: FileStore, chunk: { id: string, bytes: Buffer }): Promise<void> {
  await store.putEncoded(chunk.id, { type: 'chunk', encoding: 0, rawLength: chunk.bytes.length, bytes: chunk.bytes })
}

describe.runIf(process.platform === 'linux')('a received pack written with O_DIRECT behind the verify chain', () => {
  it('a slow write does not stop received objects from being stored until the batch is full; the batch goes out when it ends, unasked', async () => {
    const objects = tmp()
    const { fs, held, release } = heldWritesFs()
    const store = await FileStore.open(objects, fs)
    const chunks = receivedChunks(128)
    let stored = 0
    const storing = (async () => {
      for (const chunk of chunks) {
        await putReceived(store, chunk)
        stored++
      }
    })()
    await until(() => held() > 0)
    // the first 512 KiB write (8 chunks) is held; storing went on past it (waiting for each write
    // stopped it at the 16th chunk) and stopped only once the other batch (DIRECT_BATCH_BYTES) had no room
    expect(held()).toBe(1)
    const batchHolds = Math.floor(DIRECT_BATCH_BYTES / (64 * KiB + 128))
    expect(stored).toBeGreaterThanOrEqual(batchHolds)
    expect(stored).toBeLessThanOrEqual(batchHolds + 16)
    const stoppedAt = stored
    await settle()
    expect(stored).toBe(stoppedAt)
    release()
    // the held write's end starts the next one by itself, with everything the batch gathered
    await until(() => held() > 0)
    expect(held()).toBe(1)
    while (held() > 0 || stored < chunks.length) {
      release()
      await settle()
    }
    await storing
    const packPath = store.locatePacked(chunks[0].id)!.pack.packPath
    const closing = store.closeAll()
    while (!(await Promise.race([closing.then(() => true), settle().then(() => false)]))) release()
    await closing
    expect(statSync(packPath).size).toBeGreaterThan(128 * 64 * KiB)
    const reopened = await FileStore.open(objects)
    for (const chunk of chunks) expect(reopened.hasPacked(chunk.id)).toBe(true)
    expect(await checkStore(reopened)).toEqual([])
    await reopened.closeAll()
  })

  it('what a killed fetcher would lose stays small: stored objects reach the file without a flush', async () => {
    const objects = tmp()
    const store = await FileStore.open(objects)
    const chunks = receivedChunks(40)
    for (const chunk of chunks) await putReceived(store, chunk)
    const packPath = store.locatePacked(chunks[0].id)!.pack.packPath
    // nothing more is stored: the writes under way and the one their end starts bring the file within 512 KiB
    const appended = chunks.length * 64 * KiB
    for (let i = 0; i < 500 && statSync(packPath).size < appended - 512 * KiB; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(statSync(packPath).size).toBeGreaterThanOrEqual(appended - 512 * KiB)
    await store.closeAll()
  })

  it('a held write that fails fails a store after it with its GasError', async () => {
    const { fs, held, release } = heldWritesFs()
    const store = await FileStore.open(tmp(), fs)
    const chunks = receivedChunks(128)
    const storing = (async () => { for (const chunk of chunks) await putReceived(store, chunk) })().then(() => undefined, (err: unknown) => err)
    await until(() => held() > 0)
    expect(held()).toBe(1)
    release(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))
    for (let i = 0; i < 20; i++) {
      await settle()
      release(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))
    }
    const failure = await storing
    expect(failure).toBeInstanceOf(GasError)
    expect((failure as GasError).code).toBe('E_DISK_FULL')
    await store.closeAll().catch(() => {})
  })
})
