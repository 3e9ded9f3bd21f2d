import { describe, expect, it } from 'vitest'
import { DEFAULT_WRITE_RULES, mayWrite, parseWriteRules, refGlobMatches } from '../../src/auth/write-rights.js'

describe('write rights', () => {
  it('ref globs: * covers any run of characters, slashes included; everything else is literal', () => {
    expect(refGlobMatches('refs/builds/*', 'refs/builds/game/1.0')).toBe(true)
    expect(refGlobMatches('refs/tags/release-*', 'refs/tags/release-1.2')).toBe(true)
    expect(refGlobMatches('refs/tags/release-*', 'refs/tags/nightly-1')).toBe(false)
    expect(refGlobMatches('refs/heads/main', 'refs/heads/main')).toBe(true)
    expect(refGlobMatches('refs/heads/main', 'refs/heads/mainline')).toBe(false)
    // a dot or other regex characters in a glob are literal
    expect(refGlobMatches('refs/tags/v1.0', 'refs/tags/v1x0')).toBe(false)
    expect(refGlobMatches('refs/tags/(a|b)', 'refs/tags/(a|b)')).toBe(true)
  })

  it('the first matching rule decides, the defaults come after the policy\'s rules', () => {
    expect(mayWrite(['artist'], 'refs/heads/main')).toBe(true)
    expect(mayWrite(['artist'], 'refs/tags/v1')).toBe(true)
    expect(mayWrite(['artist'], 'refs/builds/game/1.0')).toBe(false)
    expect(mayWrite(['build'], 'refs/builds/game/1.0')).toBe(true)
    expect(mayWrite(['lead'], 'refs/builds/game/1.0')).toBe(true)
    const rules = parseWriteRules([{ ref: 'refs/tags/release-*', roles: ['lead'] }, { ref: 'refs/heads/art-*', roles: ['artist', 'lead'] }])
    expect(mayWrite(['artist'], 'refs/tags/release-1', rules)).toBe(false)
    expect(mayWrite(['lead'], 'refs/tags/release-1', rules)).toBe(true)
    expect(mayWrite(['artist'], 'refs/tags/nightly-1', rules)).toBe(true)
    expect(mayWrite(['programmer'], 'refs/heads/art-main', rules)).toBe(false)
    // nothing matches: refused (no rule names it, and the defaults do not either)
    expect(mayWrite(['lead'], 'refs/other/x', rules)).toBe(false)
    expect(DEFAULT_WRITE_RULES.map((r) => r.ref)).toContain('refs/builds/*')
  })

  it('a malformed write section is a typed error naming the rule', () => {
    expect(() => parseWriteRules({})).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
    expect(() => parseWriteRules([{ ref: 'heads/*', roles: ['lead'] }])).toThrow(/write rule 1: "ref" must be a glob starting with refs\//)
    expect(() => parseWriteRules([{ ref: 'refs/heads/*', roles: ['lead'] }, { ref: 'refs/x', roles: 'lead' }])).toThrow(/write rule 2: "roles"/)
    expect(() => parseWriteRules([null])).toThrow(/write rule 1/)
    expect(() => parseWriteRules(new Array(1001).fill({ ref: 'refs/x', roles: ['lead'] }))).toThrow(/more than 1000/)
  })
})
