import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { GAS_BIN } from '../helpers/cli.js'
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
    // a shell pipe as a user types it (node's own child pipes are socket pairs, which buffer far more)
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${GAS_BIN}" ls | head -1; echo "gas exited \${PIPESTATUS[0]}"`], { cwd: dir, encoding: 'utf8' })
    expect(r.stdout).toMatch(/^fetched .* tiles\/tile-with-a-long-name-0\.dat\ngas exited 0\n$/)
    expect(r.stderr).toBe('')
  })
})
