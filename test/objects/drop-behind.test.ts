import { randomBytes } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DropBehind } from '../../src/objects/drop-behind.js'
import { loadPageCacheCalls, type PageCacheCalls } from '../../src/objects/page-cache-native.js'
import { residentBytes } from '../helpers/resident-bytes.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const MiB = 1024 * 1024

/** PageCacheCalls that record each call (in MiB) and can be made to fail */
function recordingCalls (failOn?: string): { calls: PageCacheCalls, log: string[] } {
  const log: string[] = []
  const record = (name: string) => async (fd: number, offset: number, length: number): Promise<void> => {
    await new Promise((resolve) => setImmediate(resolve))
    log.push(`${name} ${offset / MiB}+${length / MiB}`)
    if (name === failOn) throw new Error('EIO')
  }
  return { calls: { startWriteBack: record('start'), writeBack: record('wait'), dropCached: record('drop') }, log }
}

describe('DropBehind', () => {
  it('starts writeback of each window written, then waits for and drops the one before it', async () => {
    const { calls, log } = recordingCalls()
    const drop = new DropBehind(3, { calls, windowBytes: 8 * MiB, from: 2 * MiB })
    for (let end = MiB; end <= 26 * MiB; end += MiB) drop.written(end)
    await drop.settle()
    // a window ends where the writes reach 8 MiB past the last one (from 2 MiB: the pack's header is not ours); the last window stays cached
    expect(log).toEqual([
      'start 2+8',
      'start 10+8', 'wait 2+8', 'drop 2+8',
      'start 18+8', 'wait 10+8', 'drop 10+8'
    ])
    // settled: nothing more is called on a file its owner may now close
    drop.written(40 * MiB)
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(log).toHaveLength(7)
  })

  it('a failing call stops the dropping without an error; where the calls do not exist it does nothing', async () => {
    const { calls, log } = recordingCalls('wait')
    const drop = new DropBehind(3, { calls, windowBytes: MiB })
    for (let end = MiB; end <= 6 * MiB; end += MiB) drop.written(end)
    await drop.settle()
    expect(drop.active).toBe(false)
    expect(log).toEqual(['start 0+1', 'start 1+1', 'wait 0+1'])
    const none = new DropBehind(3, { calls: undefined })
    expect(none.active).toBe(false)
    none.written(100 * MiB)
    await none.settle()
  })

  it.runIf(process.platform === 'linux')('on a real file: the content is intact and what was written back left the page cache', async () => {
    expect(loadPageCacheCalls()).toBeDefined()
    const path = join(tmp(), 'file')
    const content = randomBytes(24 * MiB)
    const handle = await open(path, 'wx+')
    const drop = new DropBehind(handle.fd, { windowBytes: 2 * MiB })
    for (let at = 0; at < content.length; at += MiB) {
      await handle.write(content, at, MiB, at)
      drop.written(at + MiB)
    }
    await drop.settle()
    // every window but the last two was written back and dropped: at most ~4 MiB stays cached
    expect(residentBytes(path)).toBeLessThanOrEqual(4 * MiB)
    await handle.close()
    expect((await readFile(path)).equals(content)).toBe(true)
  })
})
