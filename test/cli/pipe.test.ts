import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { gasSpawn } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('gas in a pipe', () => {
  it('a reader that stops early (`gas ls | head -1`) ends gas quietly with status 0, as git does', async () => {
    const dir = tmp()
    const ws = await gas.init({ dir, name: 'ana' })
    mkdirSync(join(dir, 'tiles'))
    // more output than a pipe buffers (64 KiB), so gas is still writing when the reader goes
    for (let i = 0; i < 3000; i++) writeFileSync(join(dir, 'tiles', `tile-with-a-long-name-${i}.dat`), `${i}`)
    await gas.add(ws, { paths: [dir] })
    await ws.close()
    const child = gasSpawn(dir, ['ls'])
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    child.stdout!.once('data', () => child.stdout!.destroy())
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
  })
})
