import { describe, expect, it } from 'vitest'
import { ServeQueue } from '../../src/peer/session/serve-queue.js'

describe('ServeQueue', () => {
  it('takes the highest priority first, FIFO within one; skips cancelled and duplicate ids', () => {
    const q = new ServeQueue()
    expect(q.add('a', 1)).toBe(true)
    expect(q.add('b', 9)).toBe(true)
    expect(q.add('c', 9)).toBe(true)
    expect(q.add('a', 200)).toBe(false)
    q.add('d', 5)
    expect(q.cancel('c')).toBe(true)
    expect(q.cancel('zz')).toBe(false)
    expect(q.size).toBe(3)
    expect(q.has('d')).toBe(true)
    expect([q.take(), q.take(), q.take(), q.take()]).toEqual(['b', 'd', 'a', undefined])
    q.add('e', 3)
    q.clear()
    expect(q.take()).toBeUndefined()
    expect(q.size).toBe(0)
  })

  it('peek shows what take would return, without taking, and stays bounded behind cancelled ids', () => {
    const q = new ServeQueue()
    for (let i = 0; i < 100; i++) q.add(`low${i}`, 1)
    q.add('high', 9)
    expect(q.peek(3)).toEqual(['high', 'low0', 'low1'])
    expect(q.size).toBe(101)
    for (let i = 0; i < 90; i++) q.cancel(`low${i}`)
    expect(q.peek(2)).toEqual(['high']) // 16 entries looked at, all but one cancelled
    expect(q.take()).toBe('high')
    expect(q.take()).toBe('low90')
  })
})
