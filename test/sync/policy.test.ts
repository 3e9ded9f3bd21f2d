import { describe, expect, it } from 'vitest'
import type { Asset, AssetKind } from '../../src/objects/asset.js'
import { SyncPolicy } from '../../src/sync/policy.js'
import { presetRules, ROLE_PRESETS } from '../../src/sync/role-presets.js'
import { compileSelector, parseRuleLine, parseRules } from '../../src/sync/rules.js'

function asset (kind: AssetKind, size = 1000, tags: Record<string, string> = {}): Asset {
  return { file: 'f'.repeat(64), size, sha256: '0'.repeat(64), kind, format: 'x', tags, previews: [] }
}

const policy = (roles: string[], rules = '', overrides: string[] = [], engine: 'unity' | 'unreal' | 'godot' | null = null): SyncPolicy =>
  new SyncPolicy({ rules: parseRules(rules), roles, overrides, engine })

describe('rule selectors: every kind', () => {
  it('glob: with a slash against the whole path, without one against the file name at any depth', () => {
    const deep = compileSelector('Art/**/*.png')
    expect(deep.test('Art/chars/hero.png', asset('texture'))).toBe(true)
    expect(deep.test('Other/hero.png', asset('texture'))).toBe(false)
    const name = compileSelector('*.psd')
    expect(name.test('a/b/c/x.psd', asset('texture'))).toBe(true)
    expect(name.test('x.psd.bak', asset('texture'))).toBe(false)
    expect(compileSelector('glob:.hidden/*').test('.hidden/a', asset('other'))).toBe(true)
  })

  it('folder: trailing slash or folder:, the folder and everything below it, nothing beside it', () => {
    for (const text of ['Art/Raw/', 'folder:Art/Raw']) {
      const s = compileSelector(text)
      expect(s.test('Art/Raw/a.psd', asset('texture'))).toBe(true)
      expect(s.test('Art/Raw/deep/b.psd', asset('texture'))).toBe(true)
      expect(s.test('Art/Rawness/c.psd', asset('texture'))).toBe(false)
      expect(s.test('Other/Art/Raw/c.psd', asset('texture'))).toBe(false)
    }
  })

  it('ext:, kind:, tag:K=V, tag:K, size comparisons with units', () => {
    expect(compileSelector('ext:psd,.BLEND').test('m/x.blend', asset('model'))).toBe(true)
    expect(compileSelector('ext:psd').test('m/x.png', asset('texture'))).toBe(false)
    expect(compileSelector('kind:audio,video').test('a', asset('video'))).toBe(true)
    expect(compileSelector('kind:audio').test('a', asset('texture'))).toBe(false)
    expect(compileSelector('tag:platform=mobile').test('a', asset('texture', 1, { platform: 'mobile' }))).toBe(true)
    expect(compileSelector('tag:platform=mobile').test('a', asset('texture', 1, { platform: 'pc' }))).toBe(false)
    expect(compileSelector('tag:lod').test('a', asset('model', 1, { lod: '0' }))).toBe(true)
    expect(compileSelector('tag:lod').test('a', asset('model'))).toBe(false)
    expect(compileSelector('size>500MB').test('a', asset('video', 500e6 + 1))).toBe(true)
    expect(compileSelector('size>500MB').test('a', asset('video', 500e6))).toBe(false)
    expect(compileSelector('size>=1KiB').test('a', asset('video', 1024))).toBe(true)
    expect(compileSelector('size<1KiB').test('a', asset('video', 1024))).toBe(false)
    expect(compileSelector('size<=1k').test('a', asset('video', 1024))).toBe(true)
  })

  it('several selectors on a line must all match', () => {
    const rule = parseRuleLine('include kind:texture size<1MB', { file: 't', line: 1 })
    const p = new SyncPolicy({ rules: [rule], roles: ['qa'] })
    expect(p.wants('a.png', asset('texture', 1000))).toBe(true)
    expect(p.wants('b.png', asset('texture', 2e6))).toBe(false)
  })
})

describe('bad rules: E_BAD_RULES with file, line and reason', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['# ok\ninclude kind:texture\nfetch textures/', 3, /include or exclude/],
    ['include kind:sprites', 1, /unknown asset kind "sprites"/],
    ['\n\n[role wizard]\ninclude **', 3, /unknown role "wizard"/],
    ['[team x]', 1, /\[role NAME\] or \[all\]/],
    ['exclude tex[tures/*', 1, /Missing closing/],
    ['include size>lots', 1, /not a size/],
    ['include color:red', 1, /unknown selector "color:"/],
    ['include', 1, /at least one selector/],
    ['include kind:', 1, /needs a value/],
    ['include tag:=x', 1, /tag key/],
    ['include /', 1, /names no folder/]
  ]
  for (const [text, line, reason] of cases) {
    it(`${JSON.stringify(text)} → line ${line}`, () => {
      try {
        parseRules(text)
        expect.unreachable()
      } catch (err) {
        expect(err).toMatchObject({ code: 'E_BAD_RULES', data: { file: '.gasrules', line } })
        expect((err as { data: { reason: string } }).data.reason).toMatch(reason)
        expect((err as Error).message).toMatch(new RegExp(`^\\.gasrules:${line}: `))
      }
    })
  }
  it('comments, blank lines, [all] and CRLF are fine', () => {
    expect(parseRules('# team policy\r\n\r\n[role artist]\r\ninclude *.psd # raw art\r\n[all]\r\nexclude size>1GB\r\n').map((r) => [r.role, r.text, r.source.line]))
      .toEqual([['artist', 'include *.psd', 4], [null, 'exclude size>1GB', 6]])
  })
})

describe('role presets with no rules file', () => {
  const texture = asset('texture'); const model = asset('model'); const audio = asset('audio'); const code = asset('code'); const build = asset('build')
  it('artist: textures, models, materials, source art; no audio, code or builds', () => {
    const p = policy(['artist'])
    expect(p.wants('t/rock.png', texture)).toBe(true)
    expect(p.wants('m/rock.fbx', model)).toBe(true)
    expect(p.wants('m/rock.mat', asset('engine'))).toBe(true)
    expect(p.wants('raw/rock.ztl', asset('other'))).toBe(true)
    expect(p.wants('a/boom.wav', audio)).toBe(false)
    expect(p.wants('src/main.cs', code)).toBe(false)
  })
  it('sound: audio only', () => {
    const p = policy(['sound'])
    expect(p.wants('a/boom.wav', audio)).toBe(true)
    expect(p.wants('a/fx.bank', asset('other'))).toBe(true)
    expect(p.wants('t/rock.png', texture)).toBe(false)
  })
  it('programmer: code, configs, scenes and prefabs; no raw source art, no audio', () => {
    const p = policy(['programmer'])
    expect(p.wants('src/main.cs', code)).toBe(true)
    expect(p.wants('config/game.json', code)).toBe(true)
    expect(p.wants('Assets/Scenes/Main.unity', asset('engine'))).toBe(true)
    expect(p.wants('Assets/Hero.prefab', asset('engine'))).toBe(true)
    expect(p.wants('scenes/level.tscn', asset('engine'))).toBe(true)
    expect(p.wants('ProjectSettings/ProjectVersion.txt', asset('document'))).toBe(true)
    expect(p.wants('art/hero.psd', texture)).toBe(false)
    expect(p.wants('art/hero.blend', model)).toBe(false)
    expect(p.wants('art/hero.ma', asset('other'))).toBe(false)
    expect(p.wants('audio/theme.wav', audio)).toBe(false)
    expect(p.wants('t/rock.png', texture)).toBe(false)
  })
  it('qa: builds only; lead and admin: everything; no roles: everything', () => {
    expect(policy(['qa']).wants('out/game.exe', build)).toBe(true)
    expect(policy(['qa']).wants('src/main.cs', code)).toBe(false)
    for (const roles of [['lead'], ['admin'], []]) for (const a of [texture, audio, code, build]) expect(policy(roles).wants('x/y', a)).toBe(true)
  })
  it('a member with several roles gets the union', () => {
    const p = policy(['sound', 'programmer'])
    expect(p.wants('a/boom.wav', audio)).toBe(true)
    expect(p.wants('src/main.cs', code)).toBe(true)
    expect(p.wants('t/rock.png', texture)).toBe(false)
    expect(p.explain('a/boom.wav', audio)).toMatchObject({ wanted: true, rule: 'preset sound:1: include kind:audio' })
    expect(p.explain('t/rock.png', texture)).toMatchObject({ wanted: false, rule: 'no rule (roles programmer, sound)' })
    // the programmer preset excludes audio, the sound preset includes it: union, not last-role-wins
    expect(policy(['programmer', 'sound']).wants('a/boom.wav', audio)).toBe(true)
  })
  it('every preset compiles', () => {
    for (const role of Object.keys(ROLE_PRESETS)) expect(presetRules(role)?.length).toBeGreaterThan(0)
    expect(presetRules('nobody')).toBeUndefined()
  })
})

describe('evaluation order: preset, engine caches, .gasrules in order, union of roles, local overrides last', () => {
  const rules = [
    '# everyone',
    'exclude size>500MB',
    '[role programmer]',
    'include Art/UI/',
    'exclude Art/UI/raw/',
    '[role artist]',
    'exclude tag:platform=mobile',
    '[all]',
    'include tag:hero=yes size>500MB'
  ].join('\n')
  it('last match wins within a role; sections apply to their role only', () => {
    const prog = policy(['programmer'], rules)
    expect(prog.explain('Art/UI/button.png', asset('texture'))).toEqual({ wanted: true, rule: '.gasrules:4: include Art/UI/ [role programmer]', reason: expect.stringContaining('matches "include Art/UI/" for role programmer') as string })
    expect(prog.explain('Art/UI/raw/button.psd', asset('texture'))).toMatchObject({ wanted: false, rule: '.gasrules:5: exclude Art/UI/raw/ [role programmer]' })
    const artist = policy(['artist'], rules)
    expect(artist.explain('t/rock.png', asset('texture', 10, { platform: 'mobile' }))).toMatchObject({ wanted: false, rule: '.gasrules:7: exclude tag:platform=mobile [role artist]' })
    expect(artist.explain('t/rock.png', asset('texture'))).toMatchObject({ wanted: true, rule: 'preset artist:1: include kind:texture' })
    expect(artist.explain('Art/UI/button.png', asset('texture', 10, { platform: 'mobile' })).wanted).toBe(false) // programmer's section does not apply
    // rules of the file come after the preset; a later line beats an earlier one
    expect(artist.explain('t/huge.png', asset('texture', 600e6))).toMatchObject({ wanted: false, rule: '.gasrules:2: exclude size>500MB' })
    expect(artist.explain('t/huge.png', asset('texture', 600e6, { hero: 'yes' }))).toMatchObject({ wanted: true, rule: '.gasrules:9: include tag:hero=yes size>500MB' })
  })
  it('local overrides come last and beat the team rules and presets', () => {
    const p = policy(['artist'], rules, ['include kind:audio', 'exclude t/secret/'])
    expect(p.explain('a/boom.wav', asset('audio'))).toMatchObject({ wanted: true, rule: 'local:1: include kind:audio' })
    expect(p.explain('t/secret/x.png', asset('texture'))).toMatchObject({ wanted: false, rule: 'local:2: exclude t/secret/' })
    expect(p.explain('t/huge.png', asset('texture', 600e6))).toMatchObject({ wanted: false, rule: '.gasrules:2: exclude size>500MB' })
  })
  it('no roles: everything, unless an override says otherwise', () => {
    expect(policy([]).explain('x', asset('audio'))).toMatchObject({ wanted: true, rule: 'no roles' })
    expect(policy([], '', ['exclude kind:audio']).wants('x', asset('audio'))).toBe(false)
  })
  it('the rules file itself is always wanted', () => {
    expect(policy(['qa'], 'exclude **').explain('.gasrules', asset('other'))).toMatchObject({ wanted: true, rule: 'builtin: rules file' })
  })
  it('the fingerprint changes with rules, roles, overrides and engine, and only with them', () => {
    const base = policy(['artist'], rules).fingerprint
    expect(policy(['artist'], rules).fingerprint).toBe(base)
    expect(policy(['artist'], `${rules}\n# a comment changes nothing`).fingerprint).toBe(base)
    for (const other of [policy(['artist', 'sound'], rules), policy(['artist'], 'include **'), policy(['artist'], rules, ['include x']), policy(['artist'], rules, [], 'unity')]) {
      expect(other.fingerprint).not.toBe(base)
    }
  })
})

describe('engines: companions and caches', () => {
  it('a Unity .meta and a Godot .import take the decision of the file they describe', () => {
    const prog = policy(['programmer'])
    const texture = { path: 'Assets/rock.png', asset: asset('texture') }
    expect(prog.wants('Assets/rock.png.meta', asset('engine'), texture)).toBe(false)
    expect(prog.explain('Assets/rock.png.meta', asset('engine'), texture)).toMatchObject({ wanted: false, reason: expect.stringContaining('travels with Assets/rock.png') as string })
    const script = { path: 'Assets/Player.cs', asset: asset('code') }
    expect(prog.wants('Assets/Player.cs.meta', asset('engine'), script)).toBe(true)
    expect(policy(['artist']).wants('icon.png.import', asset('engine'), { path: 'icon.png', asset: asset('texture') })).toBe(true)
  })
  it('engine caches are excluded by default, for every role, and a team rule can bring them back', () => {
    const unity = policy(['lead'], '', [], 'unity')
    for (const path of ['Library/ArtifactDB', 'Temp/x', 'Logs/Editor.log', 'obj/Debug/a.dll']) expect(unity.explain(path, asset('other'))).toMatchObject({ wanted: false, rule: expect.stringMatching(/^engine unity cache:\d: exclude /) as string })
    expect(unity.wants('Assets/Library/readme.md', asset('document'))).toBe(true)
    const unreal = policy(['programmer'], '', [], 'unreal')
    for (const path of ['Intermediate/a.cpp', 'Saved/Logs/x.cs', 'DerivedDataCache/y.json', 'Binaries/Win64/z.cs']) expect(unreal.wants(path, asset('code'))).toBe(false)
    expect(unreal.wants('Source/Game/a.cpp', asset('code'))).toBe(true)
    expect(policy(['lead'], '', [], 'godot').wants('.godot/imported/x.ctex', asset('other'))).toBe(false)
    expect(policy(['lead'], 'include Library/keep/', [], 'unity').wants('Library/keep/x', asset('other'))).toBe(true)
    // no engine detected: a folder named Library is just a folder
    expect(policy(['lead']).wants('Library/x', asset('other'))).toBe(true)
  })
})
