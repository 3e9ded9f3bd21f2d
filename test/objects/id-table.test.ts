import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { IdTable } from '../../src/objects/id-table.js'

const idOf = (n: number): string => createHash('sha256').update(`id ${n}`).digest('hex')

describe('IdTable', () => {
  it('holds 50 000 ids through its growth, each with its value, and answers absent ids as absent', () => {
    const table = new IdTable(16)
    for (let i = 0; i < 50_000; i++) expect(table.set(idOf(i), i % 200)).toBe(true)
    expect(table.size).toBe(50_000)
    for (let i = 0; i < 50_000; i += 97) expect(table.get(idOf(i))).toBe(i % 200)
    expect(table.has(idOf(50_001))).toBe(false)
    expect(table.get(idOf(50_001))).toBeUndefined()
  })

  it('add says whether the id is new, like a Set; set replaces a value without counting twice', () => {
    const table = new IdTable()
    expect(table.add(idOf(1))).toBe(true)
    expect(table.add(idOf(1))).toBe(false)
    expect(table.set(idOf(1), 7)).toBe(false)
    expect(table.get(idOf(1))).toBe(7)
    expect(table.size).toBe(1)
  })

  it('takes raw 32-byte keys too, and refuses what is not an id or a value out of range', () => {
    const table = new IdTable()
    const key = createHash('sha256').update('k').digest()
    table.setKey(key, 254)
    expect(table.getKey(key)).toBe(254)
    expect(table.get(key.toString('hex'))).toBe(254)
    expect(() => table.set('abc')).toThrow(RangeError)
    expect(() => table.set(idOf(2), 255)).toThrow(RangeError)
    expect(() => table.set(idOf(2), -1)).toThrow(RangeError)
  })

  it('reserve makes room at once and keeps every key and value; keys held in a longer buffer are stored by their first 32 bytes', () => {
    const table = new IdTable(16)
    for (let i = 0; i < 100; i++) table.set(idOf(i), i)
    table.reserve(20_000)
    for (let i = 0; i < 100; i++) expect(table.get(idOf(i))).toBe(i)
    for (let i = 100; i < 20_100; i++) table.set(idOf(i), i % 200)
    expect(table.size).toBe(20_100)
    for (let i = 100; i < 20_100; i += 53) expect(table.get(idOf(i))).toBe(i % 200)
    table.reserve(10)
    expect(table.size).toBe(20_100)
    const long = Buffer.concat([createHash('sha256').update('long').digest(), Buffer.from('tail')])
    table.setKey(long, 3)
    expect(table.getKey(long.subarray(0, 32))).toBe(3)
  })
})
