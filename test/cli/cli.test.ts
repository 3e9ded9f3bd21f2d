import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeObj } from '../fixtures/models.js'
import { makePng } from '../fixtures/textures.js'
import { gasInProcess as gas, gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const json = (r: { stdout: string }): any => JSON.parse(r.stdout)

describe('gas CLI (CLI.md contract)', () => {
  it('runs the workspace and version commands with --json shapes', async () => {
    const dir = tmp()
    expect((await gas(dir, ['init', '--name', 'ana', '--team', 'orcs'])).status).toBe(0)
    const who = json(await gas(dir, ['whoami', '--json']))
    expect(who).toMatchObject({ member: 'ana', roles: ['lead'] })
    expect(who.publicKey).toMatch(/^[0-9a-f]{64}$/)
    expect(who.team).toMatch(/^[0-9a-f]{40}$/)
    mkdirSync(join(dir, 'art'))
    writeFileSync(join(dir, 'art', 'rock.png'), await makePng({ width: 32, height: 32 }))
    writeFileSync(join(dir, 'art', 'cube.obj'), makeObj('cube').text)
    expect((await gas(join(dir, 'art'), ['add', '.', '--tag', 'stage=wip', '--tag', 'owner=ana'])).stdout).toContain('added     art/cube.obj (model/obj')
    const v1 = json(await gas(dir, ['commit', '-m', 'first', '--tag', 'milestone=alpha', '--json'])).version
    expect(v1).toMatch(/^[0-9a-f]{64}$/)
    writeFileSync(join(dir, 'art', 'cube.obj'), makeObj('sphere').text)
    expect((await gas(dir, ['add', 'art/cube.obj', '--json'])).status).toBe(0)
    const v2 = json(await gas(dir, ['commit', '-m', 'second', '--json'])).version
    const log = json(await gas(dir, ['log', '--json']))
    expect(log.versions.map((v: any) => v.id)).toEqual([v2, v1])
    expect(Object.keys(log.versions[0]).sort()).toEqual(['author', 'id', 'message', 'parents', 'tags', 'time', 'timeZone'])
    expect(json(await gas(join(dir, 'art'), ['log', 'rock.png', '--json'])).versions.map((v: any) => v.id)).toEqual([v1])
    expect((await gas(dir, ['log'])).stdout).toContain('first  [milestone=alpha]')
    expect((await gas(dir, ['tag', 'alpha', 'HEAD~1', '-m', 'first playable'])).status).toBe(0)
    expect((await gas(dir, ['tag'])).stdout.trim()).toBe('alpha')
    expect((await gas(dir, ['restore', 'art/cube.obj', '--version', 'alpha', '--out', 'old.obj'])).status).toBe(0)
    expect(readFileSync(join(dir, 'old.obj'), 'utf8')).toBe(makeObj('cube').text)
    expect((await gas(dir, ['meta', 'set', 'art/rock.png', 'owner=bo', 'lod=0'])).stdout).toContain('owner=bo')
    const meta = json(await gas(dir, ['meta', 'get', 'art/rock.png', '--json']))
    expect(meta).toMatchObject({ tags: { stage: 'wip', owner: 'bo', lod: '0' }, kind: 'texture', format: 'png' })
    expect((await gas(dir, ['meta', 'get', 'art/rock.png'])).stdout).toContain('lod=0')
    expect(json(await gas(dir, ['find', '--tag', 'owner=bo', '--kind', 'texture', '--path', 'art/*', '--json'])).assets.map((a: any) => a.path)).toEqual(['art/rock.png'])
    expect((await gas(dir, ['find'])).stdout).toContain('art/cube.obj')
    // a key alone: any value (it was refused: "must look like KEY=VALUE")
    expect(json(await gas(dir, ['find', '--tag', 'lod', '--json'])).assets.map((a: any) => a.path)).toEqual(['art/rock.png'])
    expect(json(await gas(dir, ['find', '--tag', 'owner', '--tag', 'stage=wip', '--json'])).assets.length).toBeGreaterThan(1)
    expect((await gas(dir, ['find', '--tag', 'bad key'])).stderr).toContain('E_BAD_ARGUMENT')
    const stat = json(await gas(dir, ['stat', '--json']))
    expect(Object.keys(stat).sort()).toEqual(['assets', 'chunks', 'logicalBytes', 'metadataBytes', 'storedBytes', 'versions'])
    expect(stat.versions).toBe(2)
    expect((await gas(dir, ['stat'])).stdout).toContain('logicalBytes')
    expect(json(await gas(dir, ['fsck', '--json']))).toMatchObject({ ok: true, problems: [] })
    expect((await gas(dir, ['fsck'])).stdout).toContain('ok:')
    expect((await gas(dir, ['rm', 'art/rock.png'])).stdout).toContain('removed art/rock.png')
  })

  it('prints one line per error with its code, exit 1 for failures and 2 for usage', async () => {
    const dir = tmp()
    const notWs = await gas(dir, ['log'])
    expect(notWs).toMatchObject({ status: 1 })
    expect(notWs.stderr).toMatch(/^gas: E_NOT_A_WORKSPACE: .*\n$/)
    await gas(dir, ['init'])
    const usage = await gas(dir, ['commit'])
    expect(usage.status).toBe(2)
    expect(usage.stderr).toContain('gas: E_BAD_ARGUMENT')
    expect((await gas(dir, ['frobnicate'])).status).toBe(2)
    const escape = await gas(dir, ['add', '../x', '--json'])
    expect(escape.status).toBe(1)
    expect(JSON.parse(escape.stderr)).toEqual({ error: { code: 'E_PATH_ESCAPE', message: expect.stringContaining('outside the workspace') } })
    expect((await gas(dir, ['restore', 'x', '--version', 'nope'])).stderr).toMatch(/^gas: E_NOT_FOUND: revision nope not found\n$/)
    expect((await gas(dir, ['add', 'a.png', '--tag', 'novalue'])).status).toBe(2)
    expect((await gas(dir, ['--version'])).status).toBe(0)
  })

  it('gas --version prints the version; with --json, one JSON document (it printed plain text)', async () => {
    const dir = tmp()
    for (const args of [['--version', '--json'], ['--json', '--version'], ['-V', '--json']]) {
      const r = await gas(dir, args)
      expect(r.status).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/) as string })
      expect(r.stdout.trim().split('\n')).toHaveLength(1)
    }
    const plain = await gas(dir, ['--version'])
    expect(plain.stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
    expect(JSON.parse((await gas(dir, ['--version', '--json'])).stdout).version).toBe(plain.stdout.trim())
  })

  it('works as the installed binary, with no stack trace on errors', () => {
    const dir = tmp()
    expect(gasSync(dir, ['init', '--name', 'bo']).status).toBe(0)
    const r = gasSync(dir, ['restore', 'x', '--version', 'HEAD'])
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).not.toContain('    at ')
  })
})
