import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildProgram } from '../../src/cli/main.js'
import { makePng } from '../fixtures/textures.js'
import { GAS_BIN, gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const PROBE = resolve('test/helpers/module-probe.mjs')

/** Image, model, audio, WebRTC, tracker and git modules: commands that touch no content must not load them. */
const HEAVY = ['sharp', 'three', 'node-datachannel', 'music-metadata', '@thaunknown/simple-peer', 'bittorrent-tracker', 'isomorphic-git', 'draco3dgltf', 'mpg123-decoder', 'ogg-opus-decoder', '@wasm-audio-decoders', 'exif-reader', 'ktx-parse']

/** The packages a real `gas` process loaded for `args` (via a module probe), and its result. */
function packagesLoaded (cwd: string, args: string[]): { status: number, packages: Set<string> } {
  const out = join(cwd, '..', `modules-${args.join('-').replace(/[^a-z]/g, '')}-${process.pid}.txt`)
  const r = spawnSync(process.execPath, ['--import', PROBE, GAS_BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, GAS_MODULE_PROBE_OUT: out } })
  const packages = new Set<string>()
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const m = /node_modules[/\\]((?:@[^/\\]+[/\\])?[^/\\]+)/.exec(line)
    if (m !== null) packages.add(m[1].replace(/\\/g, '/'))
  }
  return { status: r.status ?? -1, packages }
}

describe('fast start', () => {
  it('status, log, whoami, find, meta get and --help load no image, model, audio, WebRTC or git module', async () => {
    const root = tmp()
    const dir = join(root, 'ws')
    mkdirSync(dir)
    expect(gasSync(dir, ['init', '--name', 'ana']).status).toBe(0)
    writeFileSync(join(dir, 'rock.png'), await makePng({ width: 16, height: 16 }))
    expect(gasSync(dir, ['add', 'rock.png']).status).toBe(0)
    expect(gasSync(dir, ['commit', '-m', 'one']).status).toBe(0)
    for (const args of [['status'], ['log', '-n', '20'], ['whoami'], ['find', '--kind', 'texture'], ['meta', 'get', 'rock.png'], ['--help'], ['diff'], ['check-ignore', 'x.tmp']]) {
      const { status, packages } = packagesLoaded(dir, args)
      expect({ args, status }).toEqual({ args, status: 0 })
      expect({ args, heavy: HEAVY.filter((h) => [...packages].some((p) => p === h || p.startsWith(`${h}/`))) }).toEqual({ args, heavy: [] })
    }
    // the probe sees heavy modules when a command does load them: a preview needs sharp
    const preview = packagesLoaded(dir, ['preview', 'rock.png', '--out', join(root, 'thumb.png')])
    expect(preview.status).toBe(0)
    expect(preview.packages.has('sharp')).toBe(true)
  })

  it('add of small scripts and text files makes their previews without starting a preview worker; an image starts one', async () => {
    const dir = tmp()
    expect(gasSync(dir, ['init', '--name', 'ana']).status).toBe(0)
    writeFileSync(join(dir, 'notes.txt'), 'line one\nline two\n')
    writeFileSync(join(dir, 'tool.ts'), 'export const x = 1\n')
    writeFileSync(join(dir, 'rock.png'), await makePng({ width: 16, height: 16 }))
    const traced = (args: string[]): string => {
      const r = spawnSync(process.execPath, [GAS_BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, GAS_TRACE: '1' } })
      expect(r.status, r.stderr).toBe(0)
      return r.stderr
    }
    expect(traced(['add', 'notes.txt', 'tool.ts'])).not.toMatch(/preview worker started/)
    expect(traced(['add', 'rock.png'])).toMatch(/preview worker started/)
    expect(gasSync(dir, ['commit', '-m', 'one']).status).toBe(0)
    const preview = JSON.parse(gasSync(dir, ['preview', 'notes.txt', '--json']).stdout) as { info: { lines: number, excerpt: string } }
    expect(preview.info).toMatchObject({ lines: 2, excerpt: 'line one\nline two\n' })
  })

  it('the full program (for the CLI reference) still holds every command', () => {
    const names = buildProgram().commands.map((c) => c.name())
    for (const name of ['status', 'diff', 'check-ignore', 'add', 'sync', 'serve', 'preview', 'hook', 'lfs-agent', 'tracker']) expect(names).toContain(name)
  })
})
