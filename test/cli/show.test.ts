import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

async function ok (dir: string, args: string[]): Promise<string> {
  const r = await gasInProcess(dir, args)
  expect(r.status, r.stderr).toBe(0)
  return r.stdout
}

describe('gas show', () => {
  it('prints one version and what it changed, as git show does (a new user typed it and got "unknown command")', async () => {
    const dir = tmp()
    await ok(dir, ['init', '--name', 'ana'])
    writeFileSync(join(dir, 'a.txt'), 'one\n')
    writeFileSync(join(dir, 'b.txt'), 'two\n')
    await ok(dir, ['add', '.', '--tag', 'stage=wip'])
    const first = JSON.parse(await ok(dir, ['commit', '-m', 'first', '--json'])).version as string
    writeFileSync(join(dir, 'a.txt'), 'one, longer\n')
    await ok(dir, ['add', 'a.txt'])
    const second = JSON.parse(await ok(dir, ['commit', '-m', 'longer a', '--tag', 'milestone=alpha', '--json'])).version as string

    const head = JSON.parse(await ok(dir, ['show', '--json']))
    expect(head.version).toMatchObject({ id: second, parents: [first], author: 'ana', message: 'longer a', tags: { milestone: 'alpha' } })
    expect(head.parent).toBe(first)
    expect(head.assets.map((a: { path: string, change: string }) => [a.path, a.change])).toEqual([['a.txt', 'modified']])
    expect(head.assets[0].size).toEqual({ old: 4, new: 12 })

    // a first version: every asset, added
    const root = JSON.parse(await ok(dir, ['show', 'HEAD~1', '--json']))
    expect(root.parent).toBeNull()
    expect(root.assets.map((a: { path: string, change: string }) => [a.path, a.change])).toEqual([['a.txt', 'added'], ['b.txt', 'added']])

    const text = await ok(dir, ['show', first.slice(0, 8)])
    expect(text).toContain(`version ${first}\nauthor  ana\n`)
    expect(text).toContain('\n    first\n\nfirst version:\nadded    a.txt')
    expect(await ok(dir, ['show'])).toContain(`tag     milestone=alpha\n\n    longer a\n\nchanges against ${first.slice(0, 12)}:\nmodified a.txt`)

    const missing = await gasInProcess(dir, ['show', 'nope'])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toBe('gas: E_NOT_FOUND: revision nope not found\n')
  })
})
