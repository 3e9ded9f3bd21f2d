import { writeFileSync } from 'node:fs'
import { mkdir, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { prestartChunkWorker } from '../../src/cli/chunk-worker-prestart.js'
import { ChunkWorker } from '../../src/objects/chunk-worker.js'
import { PARALLEL_THRESHOLD } from '../../src/objects/parallel-threshold.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

/** takes (and stops) whatever worker waits idle, so each test starts with none */
function drainIdle (): void {
  if (ChunkWorker.idleReady) ChunkWorker.take().release(false)
}

describe('the chunking worker started ahead of `gas add`', () => {
  afterEach(drainIdle)

  it('starts for a named file the worker will cut, and the add then takes that worker', async () => {
    drainIdle()
    const dir = tmp()
    const big = join(dir, 'big.bin')
    writeFileSync(big, '')
    await truncate(big, PARALLEL_THRESHOLD) // sparse: the size is what counts
    await prestartChunkWorker(['add', '--tag', 'k=v', big])
    expect(ChunkWorker.idleReady).toBe(true)
    const taken = ChunkWorker.take()
    expect(ChunkWorker.idleReady).toBe(false)
    taken.release(true)
  })

  it('starts nothing for small files, folders, missing paths or other commands', async () => {
    drainIdle()
    const dir = tmp()
    await writeFile(join(dir, 'small.bin'), Buffer.alloc(PARALLEL_THRESHOLD - 1))
    await mkdir(join(dir, 'folder'))
    const big = join(dir, 'big.bin')
    writeFileSync(big, '')
    await truncate(big, PARALLEL_THRESHOLD * 2)
    await prestartChunkWorker(['add', join(dir, 'small.bin'), join(dir, 'folder'), join(dir, 'missing.bin')])
    await prestartChunkWorker(['status', big])
    await prestartChunkWorker(['restore', big])
    expect(ChunkWorker.idleReady).toBe(false)
  })
})
