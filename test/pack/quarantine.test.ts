import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { GasError } from '../../src/errors.js'
import { compressChunk } from '../../src/objects/compression.js'
import { hashObject } from '../../src/objects/id.js'
import { FileStore } from '../../src/pack/file-store.js'
import { checkStore } from '../../src/pack/fsck.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const codeOf = async (p: Promise<unknown>): Promise<string> => await p.then(() => 'no error', (err: GasError) => err.code)
const packFiles = (objects: string, ext: string): string[] => readdirSync(join(objects, 'pack')).filter((n) => n.endsWith(ext)).map((n) => join(objects, 'pack', n))

/** A store with two chunks in one pack, the first with a flipped byte in its payload. */
async function damagedPack (): Promise<{ objects: string, good: Buffer, other: Buffer, id: string, otherId: string, badBytes: Buffer }> {
  const objects = join(tmp(), 'objects')
  const store = await FileStore.open(objects)
  const good = randomBytes(40_000)
  const other = randomBytes(40_000)
  const id = await store.put('chunk', good)
  const otherId = await store.put('chunk', other)
  await store.closeAll()
  const [pack] = packFiles(objects, '.pack')
  const bytes = readFileSync(pack)
  bytes[8 + 42 + 100] ^= 0xff // inside the first entry's payload
  writeFileSync(pack, bytes)
  return { objects, good, other, id, otherId, badBytes: bytes.subarray(8, 8 + 42 + 40_000) }
}

describe('quarantine: a damaged copy is set aside so a good one can be stored again', () => {
  it('a damaged chunk inside a pack: masked and kept aside; a good copy put later is read, and the bad bytes go once it is durable', async () => {
    const { objects, good, other, id, otherId, badBytes } = await damagedPack()
    const store = await FileStore.open(objects)
    expect((await checkStore(store)).map((p) => [p.id, p.code])).toEqual([[id, 'E_CORRUPT_OBJECT']])
    // before: the damaged copy answered every read, and a put of the good bytes was skipped as "already here"
    expect(await codeOf(store.get(id))).toBe('E_CORRUPT_OBJECT')
    const result = await store.quarantine(id)
    expect(result.goodCopies).toBe(0)
    expect(result.quarantined).toHaveLength(1)
    const saved = readFileSync(result.quarantined[0].savedAs)
    expect(saved.subarray(0, badBytes.length).equals(badBytes)).toBe(true) // the only copy is never lost
    expect(await store.has(id)).toBe(false) // so a sync or fsck --repair fetches it again
    expect(await codeOf(store.get(id))).toBe('E_NOT_FOUND')
    expect(Buffer.from((await store.get(otherId)).body).equals(other)).toBe(true)
    const stillBad = await checkStore(store)
    expect(stillBad.map((p) => [p.id, p.code])).toEqual([[id, 'E_CORRUPT_OBJECT']])
    expect(stillBad[0].message).toContain('set aside')

    // a fetched copy arrives as sync stores it: verified, appended to a new pack
    const { encoding, bytes } = compressChunk(good)
    await store.putEncoded(id, { type: 'chunk', encoding, rawLength: good.length, bytes })
    expect(Buffer.from((await store.get(id)).body).equals(good)).toBe(true)
    expect(existsSync(result.quarantined[0].savedAs)).toBe(true) // not durable yet
    await store.flush()
    expect(existsSync(result.quarantined[0].savedAs)).toBe(false)
    expect(await checkStore(store)).toEqual([])
    await store.closeAll()

    // another process sees the mask and the replacement
    const later = await FileStore.open(objects)
    expect(Buffer.from((await later.get(id)).body).equals(good)).toBe(true)
    expect(await checkStore(later)).toEqual([])
    await later.closeAll()
  })

  it('a long-running reader opened before the quarantine skips the masked entry and finds the replacement', async () => {
    const { objects, good, id } = await damagedPack()
    const reader = await FileStore.open(objects)
    const repairer = await FileStore.open(objects)
    await repairer.quarantine(id)
    expect(await codeOf(reader.get(id))).toBe('E_NOT_FOUND') // it looked again on finding the damage
    await repairer.put('chunk', good)
    await repairer.flush()
    expect(Buffer.from((await reader.get(id)).body).equals(good)).toBe(true)
    await repairer.closeAll()
    await reader.closeAll()
  })

  it('a damaged loose object is moved aside; a good copy put later is read at once and the bad bytes go', async () => {
    const objects = join(tmp(), 'objects')
    const store = await FileStore.open(objects)
    const body = Buffer.from('{"message":"v1"}')
    const id = await store.put('version', body)
    const path = store.loose.pathOf(id)
    const bad = readFileSync(path); bad[bad.length - 2] ^= 1; writeFileSync(path, bad)
    const result = await store.quarantine(id)
    expect(result.quarantined.map((q) => q.from)).toEqual(['loose'])
    expect(readFileSync(result.quarantined[0].savedAs).equals(bad)).toBe(true)
    expect(await store.has(id)).toBe(false)
    expect((await store.quarantinedObjects()).has(id)).toBe(true)
    expect(await store.put('version', body)).toBe(id)
    expect(Buffer.from((await store.get(id)).body).equals(body)).toBe(true)
    expect((await store.quarantinedObjects()).size).toBe(0)
    expect(await checkStore(store)).toEqual([])
    await store.closeAll()
  })

  it('leaves good copies alone: a damaged copy with a good one elsewhere is masked and nothing waits', async () => {
    const { objects, good, id } = await damagedPack()
    const store = await FileStore.open(objects)
    // a second, good copy in another pack (as a sync that fetched it again before would have written)
    const writer = await FileStore.open(objects)
    await (writer as unknown as { openWriter: () => Promise<{ append: (id: string, o: object) => Promise<void> }> }).openWriter().then(async (w) => {
      const { encoding, bytes } = compressChunk(good)
      await w.append(id, { type: 'chunk', encoding, rawLength: good.length, bytes })
    })
    await writer.closeAll()
    const result = await store.quarantine(id)
    expect(result.goodCopies).toBe(1)
    expect(result.quarantined).toHaveLength(1)
    expect(Buffer.from((await store.get(id)).body).equals(good)).toBe(true)
    expect((await store.quarantinedObjects()).size).toBe(0)
    expect(hashObject('chunk', (await store.get(id)).body)).toBe(id)
    expect(await checkStore(store)).toEqual([])
    await store.closeAll()
  })
})
