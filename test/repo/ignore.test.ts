import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUILT_IN_RULES, IgnoreRules } from '../../src/repo/ignore-rules.js'
import { gasInProcess as gas } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const json = (r: { stdout: string }): any => JSON.parse(r.stdout)

function files (dir: string, paths: string[]): void {
  for (const p of paths) {
    mkdirSync(join(dir, p, '..'), { recursive: true })
    writeFileSync(join(dir, p), p)
  }
}

describe('ignore rules', () => {
  it('built-in rules cover OS litter and the engines\' caches, each named by its group', () => {
    const rules = IgnoreRules.fromText('')
    const cases: Array<[string, string | null]> = [
      ['.DS_Store', 'built-in: os'], ['art/Thumbs.db', 'built-in: os'], ['desktop.ini', 'built-in: os'], ['notes.txt~', 'built-in: os'], ['x.tmp', 'built-in: os'], ['.git/HEAD', 'built-in: os'],
      ['Library/ShaderCache/a.bin', 'built-in: unity'], ['Temp/x', 'built-in: unity'], ['Logs/a.log', 'built-in: unity'], ['obj/Debug/a.dll', 'built-in: unity'], ['UserSettings/Layouts.dwlt', 'built-in: unity'],
      ['Intermediate/Build/a.o', 'built-in: unreal'], ['Saved/Logs/a.log', 'built-in: unreal'], ['DerivedDataCache/a.ddc', 'built-in: unreal'], ['Plugins/Water/Binaries/Win64/a.dll', 'built-in: unreal'],
      ['.godot/imported/a.ctex', 'built-in: godot'], ['.import/a.stex', 'built-in: godot'],
      ['tools/.gas/identity.json', 'built-in: gas'],
      ['Assets/Library/rock.png', null], ['art/rock.png', null], ['Assets/Temp.cs', null]
    ]
    for (const [path, source] of cases) {
      const verdict = rules.explain(path)
      expect({ path, source: verdict.rule?.source ?? null, ignored: verdict.ignored }).toEqual({ path, source, ignored: source !== null })
    }
    expect(BUILT_IN_RULES.map((g) => g.group)).toEqual(['os', 'gas', 'unity', 'unreal', 'godot'])
  })

  it('.gasignore lines (gitignore syntax) come after the built-ins: a negation re-includes, a line number is reported', () => {
    const rules = IgnoreRules.fromText('# exports\n*.psd\n\n!hero.psd\n!/Library/\nbuild/\n')
    expect(rules.explain('art/sky.psd')).toEqual({ path: 'art/sky.psd', ignored: true, rule: { pattern: '*.psd', source: '.gasignore', line: 2, negative: false } })
    expect(rules.explain('art/hero.psd').ignored).toBe(false)
    expect(rules.ignores('Library', true)).toBe(false)
    expect(rules.ignores('build', true)).toBe(true)
    // a folder-only rule does not match a file of that name
    expect(rules.ignores('build')).toBe(false)
  })

  it('gas add . respects the rules, a named ignored path is refused unless -f, and status lists no ignored file', async () => {
    const dir = tmp()
    expect((await gas(dir, ['init', '--name', 'ana'])).status).toBe(0)
    files(dir, ['art/rock.png', 'art/rock.psd', 'art/.DS_Store', 'Library/cache.bin', 'Saved/crash.log', 'notes.tmp'])
    writeFileSync(join(dir, '.gasignore'), '*.psd\n')
    const added = json(await gas(dir, ['add', '.', '--json'])).added.map((a: any) => a.path).sort()
    expect(added).toEqual(['.gasignore', 'art/rock.png'])
    expect(json(await gas(dir, ['status', '--json'])).untracked).toEqual([])

    const refused = await gas(dir, ['add', 'art/rock.psd'])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('gas: E_IGNORED: art/rock.psd is ignored by "*.psd" (.gasignore:1); `gas add -f art/rock.psd` adds it anyway')
    expect((await gas(dir, ['add', 'Library'])).stderr).toContain('built-in: unity')
    expect((await gas(dir, ['add', '-f', 'art/rock.psd'])).status).toBe(0)
    // tracked now: a later `gas add .` keeps staging its changes, ignored or not
    writeFileSync(join(dir, 'art', 'rock.psd'), 'new layers')
    const again = json(await gas(dir, ['add', '.', '--json'])).added
    expect(again.find((a: any) => a.path === 'art/rock.psd')).toMatchObject({ unchanged: false })
    expect((await gas(dir, ['add', '-f', 'Library'])).stdout).toContain('Library/cache.bin')
  })

  it('gas check-ignore names the rule, says tracked paths are not ignored, and exits 1 when nothing is ignored', async () => {
    const dir = tmp()
    expect((await gas(dir, ['init', '--name', 'ana'])).status).toBe(0)
    files(dir, ['art/rock.png', 'Saved/x.log'])
    writeFileSync(join(dir, '.gasignore'), '# local\n\n*.bak\n')
    expect((await gas(dir, ['add', 'art/rock.png'])).status).toBe(0)
    const r = json(await gas(dir, ['check-ignore', 'a.bak', 'Saved', 'art/rock.png', 'art/new.png', '--json']))
    expect(r.paths).toEqual([
      { path: 'a.bak', ignored: true, tracked: false, rule: { pattern: '*.bak', source: '.gasignore', line: 3, negative: false } },
      { path: 'Saved', ignored: true, tracked: false, rule: { pattern: 'Saved/', source: 'built-in: unreal', line: null, negative: false } },
      { path: 'art/rock.png', ignored: false, tracked: true, rule: null },
      { path: 'art/new.png', ignored: false, tracked: false, rule: null }
    ])
    const text = await gas(join(dir, 'art'), ['check-ignore', '../a.bak', 'Thumbs.db'])
    expect(text.status).toBe(0)
    expect(text.stdout).toBe('a.bak: ignored by "*.bak" (.gasignore:3)\nart/Thumbs.db: ignored by "Thumbs.db" (built-in: os)\n')
    const none = await gas(dir, ['check-ignore', 'art/rock.png', 'other.png'])
    expect(none.status).toBe(1)
    expect(none.stdout).toContain('art/rock.png: tracked (ignore rules do not apply)\nother.png: not ignored')
    expect((await gas(dir, ['check-ignore', '../outside'])).stderr).toContain('E_PATH_ESCAPE')
  })
})
