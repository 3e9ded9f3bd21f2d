import { describe, expect, it } from 'vitest'
import { isGasError } from '../../src/errors.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { MAX_FRAME } from '../../src/peer/transport/transport.js'

describe('MemoryTransport', () => {
  it('delivers copied frames in order, held until a listener exists', async () => {
    const [a, b] = MemoryTransport.pair({ a: 'alice', b: 'bob' })
    expect(a.remoteLabel).toBe('bob')
    expect(b.remoteLabel).toBe('alice')
    const frame = Uint8Array.of(1, 2, 3)
    await a.send(frame)
    await a.send(Uint8Array.of(4))
    frame[0] = 9
    await new Promise(resolve => setTimeout(resolve, 0))
    const got: number[][] = []
    b.onFrame(f => got.push([...f]))
    expect(got).toEqual([[1, 2, 3], [4]])
    await b.send(Uint8Array.of(5))
    const back: number[][] = []
    a.onFrame(f => back.push([...f]))
    await new Promise(resolve => setTimeout(resolve, 0))
    expect(back).toEqual([[5]])
  })

  it('does not re-enter handlers when replying from onFrame', async () => {
    const [a, b] = MemoryTransport.pair()
    let depth = 0
    let maxDepth = 0
    let count = 0
    const echo = (t: typeof a) => (f: Uint8Array): void => {
      depth++
      maxDepth = Math.max(maxDepth, depth)
      if (count++ < 100) void t.send(f)
      depth--
    }
    a.onFrame(echo(a))
    b.onFrame(echo(b))
    await a.send(Uint8Array.of(1))
    await new Promise(resolve => setTimeout(resolve, 10))
    expect(count).toBeGreaterThan(100)
    expect(maxDepth).toBe(1)
  })

  it('close: frames already sent arrive, then the remote sees E_PEER_LOST; sends reject', async () => {
    const [a, b] = MemoryTransport.pair()
    const got: number[] = []
    b.onFrame(f => got.push(f[0]))
    const closed = new Promise<Error | undefined>(resolve => b.onClose(resolve))
    const localClosed = new Promise<Error | undefined>(resolve => a.onClose(resolve))
    await a.send(Uint8Array.of(7))
    a.close()
    a.close()
    expect(a.closed).toBe(true)
    expect(await localClosed).toBeUndefined()
    const err = await closed
    expect(isGasError(err, 'E_PEER_LOST')).toBe(true)
    expect(got).toEqual([7])
    expect(b.closed).toBe(true)
    await expect(a.send(Uint8Array.of(1))).rejects.toMatchObject({ code: 'E_PEER_LOST' })
    await expect(b.send(Uint8Array.of(1))).rejects.toMatchObject({ code: 'E_PEER_LOST' })
    const late = await new Promise<Error | undefined>(resolve => b.onClose(resolve))
    expect(isGasError(late, 'E_PEER_LOST')).toBe(true)
  })

  it('refuses frames over MAX_FRAME', async () => {
    const [a] = MemoryTransport.pair()
    await expect(a.send(new Uint8Array(MAX_FRAME + 1))).rejects.toMatchObject({ code: 'E_FRAME_LENGTH' })
    await expect(a.send('x' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await a.send(new Uint8Array(MAX_FRAME))
  })
})
