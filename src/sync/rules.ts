import { createRequire } from 'node:module'
import type picomatchType from 'picomatch'

/** why lazy: only commands that match globs pay for loading picomatch (synchronous, hence require) */
const requireHere = createRequire(import.meta.url)
const picomatch = (): typeof picomatchType => requireHere('picomatch') as typeof picomatchType
import { GasError } from '../errors.js'
import { ASSET_KINDS, type Asset } from '../objects/asset.js'
import { extensionOf } from '../repo/asset-kind.js'

/**
 * `.gasrules`: the team's selective-sync policy, one rule a line.
 *
 *   # comment
 *   include kind:texture            every selector on a line must match (AND)
 *   exclude Art/Raw/                folder (trailing /), or folder:Art/Raw
 *   include *.psd                   glob (picomatch; a pattern without / matches the file name at any depth)
 *   include ext:psd,blend  kind:audio  tag:platform=mobile  tag:lod  size>500MB  size<=1MiB
 *   [role artist]                   the lines below apply to members with this role
 *   [all]                           …and these to everyone again
 *
 * Each glob is compiled once, here, when the file is parsed.
 */

export type RuleAction = 'include' | 'exclude'

/** Roles a `[role X]` section may name (the roles of member certificates). */
export const RULE_ROLES = ['lead', 'admin', 'artist', 'sound', 'programmer', 'qa'] as const

export interface Selector {
  text: string
  test: (path: string, asset: Asset) => boolean
}

export interface Rule {
  action: RuleAction
  selectors: Selector[]
  /** the rule as written (normalised spacing) */
  text: string
  /** where it comes from: a file (with line) or a preset/override name */
  source: { file: string, line: number }
  /** the `[role X]` section it sits in; null: everyone */
  role: string | null
}

export const RULES_FILE = '.gasrules'

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** why: the CLI's parseSize sits above this layer; the same units (CLI.md: 10MB, 512KiB) */
function parseRuleSize (text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(text)
  const unit = m?.[2].toLowerCase()
  if (m === null || unit === undefined || SIZE_UNITS[unit] === undefined) return undefined
  return Math.round(Number(m[1]) * SIZE_UNITS[unit])
}

let lastPath = ''
let lastExtension = ''
/** why: every ext: rule asks about the same path in turn; one extension (two string copies) per asset, not per rule */
function extensionOfLast (path: string): string {
  if (path !== lastPath) {
    lastPath = path
    lastExtension = extensionOf(path)
  }
  return lastExtension
}

function compileGlob (pattern: string): (path: string) => boolean {
  // throws on a pattern it cannot compile; the caller turns that into E_BAD_RULES
  const regex = picomatch().makeRe(pattern, { dot: true, strictBrackets: true })
  // why: a policy tests every rule against every asset (200 000 × 50); a literal prefix or suffix
  // rejects most paths before the regex runs
  const suffix = /^\*(\.[A-Za-z0-9_.-]+)$/.exec(pattern)?.[1]
  if (!pattern.includes('/')) {
    return (path) => {
      if (suffix !== undefined && !path.endsWith(suffix)) return false
      return regex.test(path.slice(path.lastIndexOf('/') + 1))
    }
  }
  const { base, isGlob } = picomatch().scan(pattern)
  const prefix = isGlob && base !== '' ? `${base}/` : undefined
  return (path) => (prefix === undefined || path.startsWith(prefix)) && regex.test(path)
}

/** One selector ("kind:audio", "Art/Raw/", "*.psd", …) compiled; throws a plain Error with the reason. */
export function compileSelector (text: string): Selector {
  const colon = /^([a-z]+):(.*)$/.exec(text)
  const size = /^size(<=|>=|<|>)(.+)$/.exec(text)
  if (size !== null) {
    const limit = parseRuleSize(size[2])
    if (limit === undefined) throw new Error(`"${size[2]}" is not a size (try 500MB, 512KiB)`)
    const op = size[1]
    const test = op === '>' ? (n: number) => n > limit : op === '>=' ? (n: number) => n >= limit : op === '<' ? (n: number) => n < limit : (n: number) => n <= limit
    return { text, test: (_path, asset) => test(asset.size) }
  }
  if (colon !== null) {
    const [, kind, value] = colon
    if (value === '') throw new Error(`"${text}" needs a value after "${kind}:"`)
    switch (kind) {
      case 'kind': {
        const kinds = value.split(',')
        for (const k of kinds) if (!(ASSET_KINDS as readonly string[]).includes(k)) throw new Error(`unknown asset kind "${k}"; one of ${ASSET_KINDS.join(', ')}`)
        return { text, test: (_path, asset) => kinds.includes(asset.kind) }
      }
      case 'ext': {
        const exts = new Set(value.toLowerCase().split(',').map((e) => e.replace(/^\./, '')))
        return { text, test: (path) => exts.has(extensionOfLast(path)) }
      }
      case 'tag': {
        const eq = value.indexOf('=')
        const key = eq < 0 ? value : value.slice(0, eq)
        const want = eq < 0 ? undefined : value.slice(eq + 1)
        if (key === '') throw new Error(`"${text}" needs a tag key: tag:KEY or tag:KEY=VALUE`)
        return { text, test: (_path, asset) => asset.tags[key] !== undefined && (want === undefined || asset.tags[key] === want) }
      }
      case 'folder': return folderSelector(text, value)
      case 'glob': return { text, test: compileGlob(value) }
      default: throw new Error(`unknown selector "${kind}:"; one of kind:, ext:, tag:, folder:, glob:, size>N, a glob or a folder/`)
    }
  }
  if (text.endsWith('/')) return folderSelector(text, text.slice(0, -1))
  return { text, test: compileGlob(text) }
}

function folderSelector (text: string, folder: string): Selector {
  const clean = folder.replace(/^\/+|\/+$/g, '')
  if (clean === '') throw new Error(`"${text}" names no folder`)
  // why: a plain folder name is a prefix test, several times faster than its compiled glob (200 000 assets a walk)
  if (!picomatch().scan(clean).isGlob) {
    const prefix = `${clean}/`
    return { text, test: (path) => path.startsWith(prefix) || path === clean }
  }
  const under = compileGlob(`${clean}/**`)
  return { text, test: (path) => under(path) }
}

function badRules (file: string, line: number, reason: string): GasError {
  return new GasError('E_BAD_RULES', `${file}:${line}: ${reason}`, { file, line, reason })
}

/** One rule line ("include kind:texture size<10MB") outside any file: local overrides and presets. */
export function parseRuleLine (text: string, source: { file: string, line: number }, role: string | null = null): Rule {
  const words = text.trim().split(/\s+/)
  const action = words[0]
  if (action !== 'include' && action !== 'exclude') throw badRules(source.file, source.line, `a rule starts with include or exclude, not "${action}"`)
  if (words.length < 2) throw badRules(source.file, source.line, `"${action}" needs at least one selector (a glob, folder/, kind:, ext:, tag:, size>N)`)
  const selectors: Selector[] = []
  for (const word of words.slice(1)) {
    try {
      selectors.push(compileSelector(word))
    } catch (err) {
      throw badRules(source.file, source.line, (err as Error).message)
    }
  }
  return { action, selectors, text: words.join(' '), source, role }
}

/** Parses a whole rules file; the first bad line throws E_BAD_RULES with file, line and reason. */
export function parseRules (text: string, file = RULES_FILE): Rule[] {
  const rules: Rule[] = []
  let role: string | null = null
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/(^|\s)#.*$/, '').trim()
    if (line === '') continue
    const section = /^\[(.*)\]$/.exec(line)
    if (section !== null) {
      const words = section[1].trim().split(/\s+/)
      if (words.length === 1 && words[0] === 'all') { role = null; continue }
      if (words.length !== 2 || words[0] !== 'role') throw badRules(file, i + 1, `a section is [role NAME] or [all], not [${section[1]}]`)
      if (!(RULE_ROLES as readonly string[]).includes(words[1])) throw badRules(file, i + 1, `unknown role "${words[1]}"; one of ${RULE_ROLES.join(', ')}`)
      role = words[1]
      continue
    }
    rules.push(parseRuleLine(line, { file, line: i + 1 }, role))
  }
  return rules
}

/** Whether every selector of `rule` matches. */
export function ruleMatches (rule: Rule, path: string, asset: Asset): boolean {
  for (const selector of rule.selectors) if (!selector.test(path, asset)) return false
  return true
}
