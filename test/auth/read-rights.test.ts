import { describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import { MAX_READ_RULES, RoleReader, explainRead, mayRead, parseReadRules } from '../../src/auth/read-rights.js'

function policyError (section: unknown): GasError {
  try {
    parseReadRules(section)
  } catch (err) {
    if (err instanceof GasError) return err
    throw err
  }
  throw new Error('parsed')
}

const studio = parseReadRules([
  { roles: ['lead'], allow: ['**'] },
  { roles: ['programmer', 'qa'], deny: ['art/raw/', '*.psd'] },
  { roles: ['sound'], kinds: ['texture', 'model'], deny: ['**'], metadata: false },
  { kinds: ['build'], deny: ['nightly@*/**'] }
])

describe('read rules', () => {
  it('no policy: everyone reads everything', () => {
    expect(mayRead(undefined, [], 'art/raw/hero.psd', 'texture')).toBe(true)
    expect(explainRead(undefined, ['qa'], 'a.txt').why).toMatch(/no read policy/)
    expect(mayRead(parseReadRules(undefined), ['qa'], 'art/raw/hero.psd')).toBe(true)
    expect(parseReadRules([]).rules).toEqual([])
  })

  it('denies a folder and a glob to the roles named, and to no one else', () => {
    expect(mayRead(studio, ['programmer'], 'art/raw/hero.tga', 'texture')).toBe(false)
    expect(mayRead(studio, ['programmer'], 'art/raw/deep/x.fbx', 'model')).toBe(false)
    expect(mayRead(studio, ['programmer'], 'art/raw', 'other')).toBe(false)
    // a glob without "/" matches the file name at any depth
    expect(mayRead(studio, ['qa'], 'ui/icons/logo.psd', 'texture')).toBe(false)
    expect(mayRead(studio, ['programmer'], 'art/final/hero.png', 'texture')).toBe(true)
    expect(mayRead(studio, ['programmer'], 'art/rawish/x.png', 'texture')).toBe(true)
    expect(mayRead(studio, ['artist'], 'art/raw/hero.tga', 'texture')).toBe(true)
    expect(mayRead(studio, [], 'art/raw/hero.tga', 'texture')).toBe(true)
  })

  it('the first matching rule decides: a lead who is also a programmer reads art/raw', () => {
    expect(mayRead(studio, ['programmer', 'lead'], 'art/raw/hero.tga', 'texture')).toBe(true)
    const reordered = parseReadRules([studio.rules[1], studio.rules[0]].map((r) => JSON.parse(r.text)))
    expect(mayRead(reordered, ['programmer', 'lead'], 'art/raw/hero.tga', 'texture')).toBe(false)
    const explained = explainRead(studio, ['programmer'], 'art/raw/hero.tga', 'texture')
    expect(explained).toMatchObject({ allowed: false, metadata: true, rule: { index: 1, access: 'deny' } })
    expect(explained.why).toBe('read[1] {"roles":["programmer","qa"],"deny":["art/raw/","*.psd"]} denies art/raw/hero.tga for roles programmer')
    expect(explainRead(studio, ['artist'], 'x.txt', 'document').why).toBe('no read rule matches x.txt for roles artist: allowed')
    expect(explainRead(studio, [], 'x.txt').why).toMatch(/a member with no role/)
  })

  it('kinds narrow a rule; metadata: false withholds previews and manifests too', () => {
    expect(new RoleReader(studio, ['sound']).decide('chars/orc.fbx', 'model')).toMatchObject({ allowed: false, metadata: false })
    expect(new RoleReader(studio, ['sound']).decide('sfx/roar.wav', 'audio')).toMatchObject({ allowed: true, metadata: true })
    // a kind-limited rule never matches an object whose kind is not known
    expect(new RoleReader(studio, ['sound']).decide('chars/orc.fbx', undefined).allowed).toBe(true)
    expect(mayRead(studio, ['artist'], 'nightly@42/game.exe', 'build')).toBe(false)
    expect(mayRead(studio, ['artist'], 'release@1.0/game.exe', 'build')).toBe(true)
  })

  it('says which roles read everything and who may read content no tree names', () => {
    expect(new RoleReader(studio, ['artist']).readsEverything).toBe(false) // the build rule applies to every role
    expect(new RoleReader(parseReadRules([{ roles: ['qa'], deny: ['art/'] }]), ['artist']).readsEverything).toBe(true)
    expect(new RoleReader(studio, ['lead']).readsUnlisted).toBe(true)
    expect(new RoleReader(studio, ['programmer']).readsUnlisted).toBe(false)
    expect(new RoleReader(parseReadRules([{ allow: ['art/'] }]), ['qa']).readsUnlisted).toBe(true)
  })

  it('"*" and an absent roles list mean every member; the fingerprint follows the rules', () => {
    const star = parseReadRules([{ roles: ['*'], deny: ['secret/'] }])
    const absent = parseReadRules([{ deny: ['secret/'] }])
    expect(mayRead(star, [], 'secret/a', 'other')).toBe(false)
    expect(star.fingerprint).toBe(absent.fingerprint)
    expect(parseReadRules([{ deny: ['secret/**'] }]).fingerprint).not.toBe(absent.fingerprint)
  })

  it('accepts the .gasrules path forms: folder:, glob:, ext:', () => {
    const p = parseReadRules([{ deny: ['folder:Art/Raw', 'glob:**/*.blend', 'ext:wav,ogg'] }])
    expect(mayRead(p, [], 'Art/Raw/a.png')).toBe(false)
    expect(mayRead(p, [], 'x/y/z.blend')).toBe(false)
    expect(mayRead(p, [], 'sfx/a.OGG')).toBe(false)
    expect(mayRead(p, [], 'src/main.ts')).toBe(true)
  })

  it('refuses a bad policy with E_BAD_POLICY naming the rule and the reason', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ deny: ['a/'] }, /read: the read section is a list of rules/],
      [[{ deny: ['a/'] }, 'nope'], /read\[1\]: a rule is an object/],
      [[{ deny: ['a/'], allow: ['b/'] }], /read\[0\]: a rule has exactly one of "allow" or "deny"/],
      [[{ roles: ['qa'] }], /exactly one of/],
      [[{ alow: ['a/'] }], /read\[0\]: unknown key "alow"/],
      [[{ deny: [] }], /"deny" must be a non-empty list of strings/],
      [[{ deny: 'art/' }], /"deny" must be a non-empty list/],
      [[{ deny: ['a/', 7] }], /non-empty list of strings/],
      [[{ roles: ['programer'], deny: ['a/'] }], /unknown role "programer"/],
      [[{ kinds: ['picture'], deny: ['a/'] }], /unknown asset kind "picture"/],
      [[{ deny: ['kind:texture'] }], /"kind:texture" is not a path pattern.*"kinds"/],
      [[{ deny: ['size>5MB'] }], /not a path pattern/],
      [[{ deny: ['tag:lod'] }], /not a path pattern/],
      [[{ deny: ['[a-'] }], /read\[0\]: "\[a-"/],
      [[{ deny: ['a/'], metadata: 'no' }], /"metadata" is true or false/],
      [[{ allow: ['a/'], metadata: false }], /belongs on a deny rule/],
      [Array.from({ length: MAX_READ_RULES + 1 }, () => ({ deny: ['a/'] })), /more than 1000/]
    ]
    for (const [section, message] of cases) {
      const err = policyError(section)
      expect(err.code).toBe('E_BAD_POLICY')
      expect(err.message).toMatch(message)
    }
    expect(policyError([{ deny: ['ok/'] }, { deny: ['kind:texture'] }]).data).toMatchObject({ section: 'read', rule: 1 })
  })
})
