import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('gas commit --all', () => {
  it('stages tracked files that changed, forgets tracked files that are gone, leaves new files untracked, as git commit -a', () => {
    const dir = tmp()
    expect(gasSync(dir, ['init', '--name', 'ana']).status).toBe(0)
    for (const f of ['a.txt', 'b.txt', 'c.txt']) writeFileSync(join(dir, f), `${f} one`)
    expect(gasSync(dir, ['add', '.']).status).toBe(0)
    const first = JSON.parse(gasSync(dir, ['commit', '-m', 'one', '--json']).stdout).version as string
    writeFileSync(join(dir, 'a.txt'), 'a.txt two, longer')
    // the same size: told from an unchanged file by its content only
    writeFileSync(join(dir, 'c.txt'), 'c.txt ONE')
    rmSync(join(dir, 'b.txt'))
    writeFileSync(join(dir, 'new.txt'), 'a stray export')
    const r = gasSync(dir, ['commit', '-a', '-m', 'two', '--json'])
    expect(r.status).toBe(0)
    const second = JSON.parse(r.stdout).version as string
    expect(second).not.toBe(first)
    const status = JSON.parse(gasSync(dir, ['status', '--json']).stdout)
    expect(status).toMatchObject({ staged: [], modified: [], deleted: [], untracked: ['new.txt'] })
    const found = JSON.parse(gasSync(dir, ['find', '--json']).stdout).assets.map((a: { path: string }) => a.path)
    expect(found).toEqual(['a.txt', 'c.txt'])
    expect(gasSync(dir, ['restore', 'a.txt', '--version', second, '--out', join(dir, 'a-two')]).status).toBe(0)
    expect(readFileSync(join(dir, 'a-two'), 'utf8')).toBe('a.txt two, longer')
    expect(gasSync(dir, ['restore', 'c.txt', '--version', second, '--out', join(dir, 'c-two')]).status).toBe(0)
    expect(readFileSync(join(dir, 'c-two'), 'utf8')).toBe('c.txt ONE')
    // nothing changed since (a file written again with the same bytes is no change): the same refusal as a plain commit
    writeFileSync(join(dir, 'c.txt'), 'c.txt ONE')
    const again = gasSync(dir, ['commit', '--all', '-m', 'three'])
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/E_NOTHING_TO_COMMIT/)
    expect(existsSync(join(dir, 'new.txt'))).toBe(true)
  })
})
