import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { skippedPaths } from '../../src/sync/skip-report.js'
import { PROGRESS_MIN_BYTES } from '../../src/cli/progress.js'
import { gasOk, runGas, startGasTracker, startServe, stopGas, syncUntilPeer, type GasCommand } from '../helpers/cli-team.js'
import { makePng } from '../fixtures/textures.js'
import { useTmp } from '../helpers/tmp.js'

const GAS: GasCommand = () => [process.execPath, resolve('bin/gas')]
const tmp = useTmp()
const children: ChildProcess[] = []
afterEach(async () => { for (const c of children.splice(0)) await stopGas(c) })

/** Runs bin/gas on a pseudo-terminal (util-linux `script`), as a user at a terminal sees it. */
function gasOnTty (dir: string, args: string[]): string {
  const command = [process.execPath, resolve('bin/gas'), ...args].map((a) => `'${a}'`).join(' ')
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: dir, encoding: 'utf8' })
  expect(r.status).toBe(0)
  return r.stdout
}

describe('readable output', () => {
  it('text output gives sizes in human units; --json keeps raw numbers', async () => {
    const dir = tmp()
    await gasOk(GAS, dir, ['init'])
    writeFileSync(join(dir, 'level.bin'), Buffer.alloc(2_500_000, 7))
    expect(await gasOk(GAS, dir, ['add', 'level.bin'])).toBe('added     level.bin (other/bin, 2.50 MB)\n')
    await gasOk(GAS, dir, ['commit', '-m', 'one'])
    expect(await gasOk(GAS, dir, ['meta', 'get', 'level.bin'])).toMatch(/level.bin: other\/bin, 2.50 MB, sha256/)
    expect(await gasOk(GAS, dir, ['find'])).toBe('level.bin  other  2.50 MB\n')
    expect(await gasOk(GAS, dir, ['stat'])).toMatch(/logicalBytes {3}2.50 MB\n/)
    expect((await gasOk(GAS, dir, ['stat', '--json'])).logicalBytes).toBe(2_500_000)
    expect((await gasOk(GAS, dir, ['find', '--json'])).assets[0].size).toBe(2_500_000)
    mkdirSync(join(dir, 'out'))
    expect(await gasOk(GAS, dir, ['restore', 'level.bin', '--out', 'out/l.bin'])).toMatch(/\(2.50 MB\)\n$/)
    // a tracked file changed is "modified"; one only touched (same bytes, new mtime) "unchanged"
    writeFileSync(join(dir, 'level.bin'), Buffer.alloc(2_500_000, 8))
    expect(await gasOk(GAS, dir, ['add', 'level.bin'])).toBe('modified  level.bin (other/bin, 2.50 MB)\n')
    expect((await gasOk(GAS, dir, ['add', 'level.bin', '--json'])).added[0]).toMatchObject({ unchanged: true })
    writeFileSync(join(dir, 'level.bin'), Buffer.alloc(2_500_000, 8))
    utimesSync(join(dir, 'level.bin'), new Date(), new Date(Date.now() + 5000))
    expect(await gasOk(GAS, dir, ['add', 'level.bin'])).toBe('unchanged level.bin (other/bin, 2.50 MB)\n')
  })

  it('a large file gets a progress bar on a terminal, total and percent at the end; nothing extra when not a terminal', async () => {
    const dir = tmp()
    await gasOk(GAS, dir, ['init'])
    // zeros chunk into one repeated chunk: large, yet quick to add on a loaded machine
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(PROGRESS_MIN_BYTES + 1_000_000))
    const shown = gasOnTty(dir, ['add', 'big.bin'])
    const frames = shown.split(/\r|\n|\x1b\[1G/).map((l) => l.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '')).filter((l) => l.includes('|'))
    expect(frames.length).toBeGreaterThan(0)
    expect(frames[frames.length - 1]).toMatch(/^big.bin \|█+\| 68.1 MB \| [\d.]+ [kMG]?B\/s \| ETA \d+s \| 68.1 MB 100%$/)
    expect(shown).toContain('added     big.bin (other/bin, 68.1 MB)')
    await gasOk(GAS, dir, ['commit', '-m', 'big'])
    mkdirSync(join(dir, 'out'))
    expect(gasOnTty(dir, ['restore', 'big.bin', '--out', 'out/big.bin'])).toMatch(/68.1 MB 100%/)
    // not a terminal: the result lines only, stderr empty
    writeFileSync(join(dir, 'big2.bin'), Buffer.alloc(PROGRESS_MIN_BYTES + 1))
    const piped = await runGas(GAS, dir, ['add', 'big2.bin'])
    expect(piped).toMatchObject({ status: 0, stderr: '' })
    expect(piped.stdout).toBe('added     big2.bin (other/bin, 67.1 MB)\n')
    expect((await runGas(GAS, dir, ['restore', 'big.bin', '--out', 'out/again.bin'])).stderr).toBe('')
    // a small file on a terminal: no bar
    writeFileSync(join(dir, 'small.bin'), 'x')
    expect(gasOnTty(dir, ['add', 'small.bin'])).not.toContain('|')
  }, 120_000)

  it('gas sync names each path it skipped and why: here the rules of the member\'s role', async () => {
    const root = tmp()
    const t = await startGasTracker(GAS, root, ['--port', '0', '--host', '127.0.0.1'])
    children.push(t.child)
    const [ana, bo] = [join(root, 'ana'), join(root, 'bo')]
    for (const d of [ana, bo]) mkdirSync(d)
    await gasOk(GAS, ana, ['init', '--name', 'ana', '--team', 'orcs'])
    await gasOk(GAS, ana, ['team', 'tracker', t.printed.url])
    await gasOk(GAS, bo, ['init', '--name', 'bo'])
    const key = (await gasOk(GAS, bo, ['whoami', '--json'])).publicKey
    await gasOk(GAS, ana, ['team', 'add', key, '--name', 'bo', '--role', 'sound', '--out', join(root, 'bo.invite')])
    await gasOk(GAS, bo, ['team', 'join', join(root, 'bo.invite')])
    writeFileSync(join(ana, 'rock.png'), await makePng({ width: 16, height: 16 }))
    writeFileSync(join(ana, 'hit.bank'), Buffer.alloc(1000, 3))
    await gasOk(GAS, ana, ['add', 'rock.png', 'hit.bank'])
    await gasOk(GAS, ana, ['commit', '-m', 'art and sound'])
    children.push(await startServe(GAS, ana))
    const synced = await syncUntilPeer(GAS, bo)
    expect(synced.json.skipped).toEqual([{ path: 'rock.png', reason: 'selective-sync', detail: expect.stringMatching(/^rock.png \(texture, [\d.]+ [k]?B.*\) matches no rule of role sound; content not fetched \(`gas fetch rock.png` gets it now\)$/) }])
    expect(existsSync(join(bo, 'hit.bank'))).toBe(true)
    expect(existsSync(join(bo, 'rock.png'))).toBe(false)
    // the text output names them too (each sync names what it skipped this time)
    writeFileSync(join(ana, 'moss.png'), await makePng({ width: 8, height: 8 }))
    await gasOk(GAS, ana, ['add', 'moss.png'])
    await gasOk(GAS, ana, ['commit', '-m', 'moss'])
    const text = await runGas(GAS, bo, ['sync', '--once'])
    expect(text.stdout).toMatch(/\n {2}skipped moss.png: \(texture.*\) matches no rule of role sound/)
    expect(text.stdout).toMatch(/fetched \d+ objects \([\d.]+ [kM]?B\)/)
  }, 120_000)

  it('the skip report gives queued, not sent and locally kept paths their reason, each path once', async () => {
    const dir = tmp()
    const ws = await gas.init({ dir, name: 'ana' })
    try {
      const skipped = await skippedPaths(ws, {
        queued: { paths: ['big.pak'] },
        missingPaths: ['big.pak', 'gone.png'],
        checkout: { skipped: [{ path: 'mine.txt', reason: 'edited locally' }, { path: 'gone.png', reason: 'content not here (selective sync)' }, { path: 'lost.wav', reason: 'content not here (selective sync)' }] }
      })
      expect(skipped.map((s) => [s.path, s.reason])).toEqual([['big.pak', 'queued'], ['gone.png', 'not-sent'], ['lost.wav', 'not-sent'], ['mine.txt', 'local-changes']])
      expect(skipped[0].detail).toContain('gas queue plan')
      expect(skipped[1].detail).toContain('read rules deny it')
      expect(skipped[3].detail).toBe('edited locally: your file is kept')
      expect(await skippedPaths(ws, { queued: {}, missingPaths: [], checkout: null })).toEqual([])
    } finally {
      await ws.close()
    }
  })
})

describe('gas preview', () => {
  it('shows any version\'s preview; without --out it writes inside .gas/, never the system temporary folder', async () => {
    const dir = tmp()
    await gasOk(GAS, dir, ['init'])
    writeFileSync(join(dir, 'rock.png'), await makePng({ width: 16, height: 8 }))
    await gasOk(GAS, dir, ['add', 'rock.png'])
    await gasOk(GAS, dir, ['commit', '-m', 'small'])
    await gasOk(GAS, dir, ['tag', 'v1'])
    writeFileSync(join(dir, 'rock.png'), await makePng({ width: 32, height: 24 }))
    await gasOk(GAS, dir, ['add', 'rock.png'])
    await gasOk(GAS, dir, ['commit', '-m', 'bigger'])
    const tmpRoot = tmp()
    const env = { TMPDIR: tmpRoot }
    const now = JSON.parse((await runGas(GAS, dir, ['preview', 'rock.png', '--json'], env)).stdout)
    const then = JSON.parse((await runGas(GAS, dir, ['preview', 'rock.png', '--version', 'v1', '--json'], env)).stdout)
    expect(now.info).toMatchObject({ width: 32, height: 24 })
    expect(then.info).toMatchObject({ width: 16, height: 8 })
    expect(then.image.startsWith(join(dir, '.gas', 'previews'))).toBe(true)
    expect(existsSync(then.image)).toBe(true)
    expect(readdirSync(tmpRoot)).toEqual([])
    const unknown = await runGas(GAS, dir, ['preview', 'rock.png', '--version', 'nope'])
    expect(unknown.stderr).toMatch(/^gas: E_NOT_FOUND: revision nope/)
    const missing = await runGas(GAS, dir, ['preview', 'other.png', '--version', 'v1'])
    expect(missing.stderr).toMatch(/^gas: E_NOT_FOUND: asset other.png in version v1/)
  })
})
