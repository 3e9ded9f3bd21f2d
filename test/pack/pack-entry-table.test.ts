import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { PackEntryTable } from '../../src/pack/pack-entry-table.js'
import { PackIndex, encodePackIndex } from '../../src/pack/pack-index.js'

const idOf = (n: number): string => createHash('sha256').update(`entry ${n}`).digest('hex')

describe('PackEntryTable', () => {
  it('finds each entry appended, and refuses a second one with the same id', () => {
    const table = new PackEntryTable(4)
    for (let i = 0; i < 1000; i++) expect(table.add(idOf(i), 4 + i * 100, i * 7919 >>> 0)).toBe(true)
    expect(table.size).toBe(1000)
    expect(table.add(idOf(10), 999_999, 1)).toBe(false)
    expect(table.size).toBe(1000)
    for (const i of [0, 1, 10, 500, 999]) {
      expect(table.has(idOf(i))).toBe(true)
      expect(table.offsetOf(idOf(i))).toBe(4 + i * 100)
      expect(table.crcOf(idOf(i))).toBe(i * 7919 >>> 0)
    }
    expect(table.has(idOf(1000))).toBe(false)
    expect(table.offsetOf(idOf(1000))).toBeUndefined()
    expect(table.crcOf(idOf(1000))).toBeUndefined()
    expect(() => table.has('not hex')).toThrow(RangeError)
  })

  it('keeps offsets in append order: an entry before the last one is refused', () => {
    const table = new PackEntryTable()
    table.add(idOf(1), 100, 0)
    expect(() => table.add(idOf(2), 100, 0)).toThrow(RangeError)
  })

  it('counts the entries before an offset, the prefix a checkpoint indexes', () => {
    const table = new PackEntryTable()
    for (let i = 0; i < 10; i++) table.add(idOf(i), 4 + i * 10, 0)
    expect(table.countBefore(4)).toBe(0)
    expect(table.countBefore(5)).toBe(1)
    expect(table.countBefore(44)).toBe(4)
    expect(table.countBefore(1e12)).toBe(10)
  })

  it('encodes, checkpoint after checkpoint, the same index bytes as sorting every entry afresh', () => {
    const table = new PackEntryTable(2)
    const entries: Array<{ id: string, offset: number, crc: number }> = []
    let offset = 8
    for (const upTo of [1, 37, 38, 500, 2000]) {
      while (entries.length < upTo) {
        const e = { id: idOf(entries.length), offset, crc: (entries.length * 2654435761) >>> 0 }
        // offsets past 4 GiB take both halves of the u64
        offset += entries.length === 1000 ? 2 ** 33 : 97
        table.add(e.id, e.offset, e.crc)
        entries.push(e)
      }
      const end = entries[entries.length - 1].offset + 1000
      const bytes = table.encodeIndex(table.countBefore(end), end)
      expect(bytes.equals(encodePackIndex(entries, end))).toBe(true)
      const index = PackIndex.parse(bytes, 'test')
      expect(index.count).toBe(upTo)
      const last = entries[upTo - 1]
      expect(index.locate(Buffer.from(last.id, 'hex'))).toEqual({ offset: last.offset, crc: last.crc })
    }
    // a shorter prefix than one already indexed is sorted afresh
    const five = entries.slice(0, 5)
    expect(table.encodeIndex(5, entries[5].offset).equals(encodePackIndex(five, entries[5].offset))).toBe(true)
  })
})
