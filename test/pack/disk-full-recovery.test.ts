import { randomBytes } from 'node:crypto'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { FileSystem } from '../../src/objects/fs.js'
import { hashObject } from '../../src/objects/id.js'
import { FileStore } from '../../src/pack/file-store.js'
import { checkStore } from '../../src/pack/fsck.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

async function codeOf (p: Promise<unknown>): Promise<string> {
  return await p.then(() => 'no error', (err: { code?: string }) => err.code ?? 'no code')
}

describe('a store after a full disk', () => {
  it('takes new objects once space is back, in the same process (a serve, a program on the API); what failed is not claimed', async () => {
    let failWrites = false
    const enospc = (): never => { const e = new Error('no space') as NodeJS.ErrnoException; e.code = 'ENOSPC'; throw e }
    const fullFs: FileSystem = {
      ...nodeFs,
      open: (async (...args: Parameters<typeof nodeFs.open>) => {
        const handle = await nodeFs.open(...args)
        return new Proxy(handle, { get: (t, k) => (k === 'writev' || k === 'write') && failWrites ? enospc : (typeof (t as any)[k] === 'function' ? (t as any)[k].bind(t) : (t as any)[k]) })
      }) as typeof nodeFs.open
    }
    const dir = join(tmp(), 'objects')
    const store = await FileStore.open(dir, fullFs)
    const before = await store.put('chunk', randomBytes(300_000))
    await store.flush()
    failWrites = true
    const lost = randomBytes(300_000)
    expect(await codeOf(store.put('chunk', lost).then(async () => await store.flush()))).toBe('E_DISK_FULL')
    failWrites = false
    // space is back: the store goes on with a new pack
    const after = await store.put('chunk', randomBytes(300_000))
    await store.flush()
    expect((await store.get(after)).body.length).toBe(300_000)
    expect(await store.has(hashObject('chunk', lost))).toBe(false)
    await store.closeAll()
    const reopened = await FileStore.open(dir)
    expect(await checkStore(reopened)).toEqual([])
    expect(await reopened.has(before)).toBe(true)
    expect(await reopened.has(after)).toBe(true)
    expect(await reopened.has(hashObject('chunk', lost))).toBe(false)
    await reopened.closeAll()
  })
})
