import { describe, expect, it } from 'vitest'
import { ConcurrencyGate } from '../../src/peer/swarm/concurrency-gate.js'

describe('ConcurrencyGate', () => {
  it('runs at most `limit` tasks at once, the rest in turn, and says when all are done', async () => {
    const gate = new ConcurrencyGate(3)
    let running = 0
    let most = 0
    const done: number[] = []
    const task = (n: number) => async (): Promise<void> => {
      running++
      most = Math.max(most, running)
      await new Promise((resolve) => setTimeout(resolve, 5))
      running--
      done.push(n)
    }
    const runs = Array.from({ length: 10 }, (_, n) => gate.run(task(n)))
    await gate.idle
    expect(done.length).toBe(10)
    expect(most).toBe(3)
    await Promise.all(runs)
  })

  it('a failing task frees its place and its caller sees the error', async () => {
    const gate = new ConcurrencyGate(1)
    const failing = gate.run(async () => { throw new Error('boom') })
    let ran = false
    const next = gate.run(async () => { ran = true })
    await expect(failing).rejects.toThrow('boom')
    await next
    expect(ran).toBe(true)
    await gate.idle
  })
})
