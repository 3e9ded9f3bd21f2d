import { createHash } from 'node:crypto'
import { GasError } from '../errors.js'
import { ASSET_KINDS, type AssetKind } from '../objects/asset.js'
import { RULE_ROLES, compileSelector, type Selector } from '../sync/rules.js'

/**
 * Read rights: the `read` section of the team policy (`{"version": N, "read": [...], "write": [...]}`),
 * which roles may read the content of which paths and asset kinds.
 *
 *   "read": [
 *     { "roles": ["lead"], "allow": ["**"] },
 *     { "roles": ["programmer", "qa"], "deny": ["art/raw/", "*.psd"] },
 *     { "kinds": ["build"], "deny": ["**"], "metadata": false }
 *   ]
 *
 * A rule has exactly one of `allow` / `deny`: path patterns written as in `.gasrules` (a glob,
 * which matches the file name at any depth when it has no "/"; `folder/`; `folder:X`; `glob:X`;
 * `ext:psd,blend`), compiled by the same matcher (picomatch) selective sync uses. `roles` (default
 * every member, also written "*") matches a member holding any of them; `kinds` (default every
 * kind) limits it to asset kinds. A rule matches when roles, kinds and one of its patterns match.
 *
 * The first matching rule decides; when none matches, the member may read (no policy at all:
 * everyone reads everything). First match rather than most specific: "most specific" has no clear
 * meaning between a glob, a folder and a kind, while an ordered list reads like a firewall's and
 * `explainRead` can name the rule that decided. Write exceptions first, the general rule after.
 *
 * What a denial withholds is content (the chunks). Versions, trees, asset records, file manifests
 * and previews still flow, so the member sees what exists, its size and preview. A deny rule with
 * `"metadata": false` withholds the previews and file manifests of its paths too; trees and asset
 * records always flow, because a version's trees are shared by every reader and a checkout needs
 * each asset record to know what the version holds.
 */

export type ReadAccess = 'allow' | 'deny'

export interface ReadRule {
  /** position in the section, from 0 (errors and explanations name it) */
  index: number
  access: ReadAccess
  /** null: every member */
  roles: string[] | null
  /** null: every kind */
  kinds: AssetKind[] | null
  patterns: Selector[]
  /** a deny rule with false also withholds previews and file manifests */
  metadata: boolean
  /** the rule as written (canonical JSON), for explanations */
  text: string
}

export interface ReadPolicy {
  rules: ReadRule[]
  /** identifies the rules: caches of what a role may read are keyed by it */
  fingerprint: string
}

export interface ReadDecision {
  allowed: boolean
  /** previews and file manifests flow (false only under a deny rule with "metadata": false) */
  metadata: boolean
  /** the rule that decided; null: none matched (allowed) */
  rule: ReadRule | null
}

/** why: a policy is a document people write; hundreds of rules is a mistake, and each costs every asset a test */
export const MAX_READ_RULES = 1000
const RULE_KEYS = new Set(['roles', 'kinds', 'allow', 'deny', 'metadata'])
/** forms of .gasrules selectors that depend only on the path (kind has its own key; tag and size are not access rules) */
const PATH_SELECTOR = /^(?:(?:glob|folder|ext):.+|(?!size[<>])[^:]+)$/
const EVERY_ROLE = '*'

function badPolicy (index: number | null, reason: string): GasError {
  const where = index === null ? 'read' : `read[${index}]`
  return new GasError('E_BAD_POLICY', `team policy ${where}: ${reason}`, { section: 'read', rule: index, reason })
}

function stringList (value: unknown, index: number, key: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v.trim() !== '')) {
    throw badPolicy(index, `"${key}" must be a non-empty list of strings`)
  }
  return value.map((v: string) => v.trim())
}

function parseRule (raw: unknown, index: number): ReadRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badPolicy(index, 'a rule is an object like {"roles": ["programmer"], "deny": ["art/raw/"]}')
  const rule = raw as Record<string, unknown>
  for (const key of Object.keys(rule)) if (!RULE_KEYS.has(key)) throw badPolicy(index, `unknown key "${key}"; a rule has roles, kinds, allow or deny, metadata`)
  if ((rule.allow === undefined) === (rule.deny === undefined)) throw badPolicy(index, 'a rule has exactly one of "allow" or "deny" (a list of path patterns)')
  const access: ReadAccess = rule.allow !== undefined ? 'allow' : 'deny'
  const patterns = stringList(rule[access], index, access).map((text) => {
    if (!PATH_SELECTOR.test(text)) throw badPolicy(index, `"${text}" is not a path pattern (a glob, folder/, folder:, glob:, ext:); asset kinds go in "kinds"`)
    try {
      return compileSelector(text)
    } catch (err) {
      throw badPolicy(index, `"${text}": ${(err as Error).message}`)
    }
  })
  let roles: string[] | null = null
  if (rule.roles !== undefined) {
    const named = stringList(rule.roles, index, 'roles')
    for (const role of named) if (role !== EVERY_ROLE && !(RULE_ROLES as readonly string[]).includes(role)) throw badPolicy(index, `unknown role "${role}"; one of ${RULE_ROLES.join(', ')} or "*"`)
    roles = named.includes(EVERY_ROLE) ? null : [...new Set(named)]
  }
  let kinds: AssetKind[] | null = null
  if (rule.kinds !== undefined) {
    const named = stringList(rule.kinds, index, 'kinds')
    for (const kind of named) if (!(ASSET_KINDS as readonly string[]).includes(kind)) throw badPolicy(index, `unknown asset kind "${kind}"; one of ${ASSET_KINDS.join(', ')}`)
    kinds = named as AssetKind[]
  }
  if (rule.metadata !== undefined && typeof rule.metadata !== 'boolean') throw badPolicy(index, '"metadata" is true or false')
  if (rule.metadata === false && access === 'allow') throw badPolicy(index, '"metadata": false belongs on a deny rule (it withholds previews and file manifests of what the rule denies)')
  const text = JSON.stringify({ ...(roles === null ? {} : { roles }), ...(kinds === null ? {} : { kinds }), [access]: patterns.map((p) => p.text), ...(rule.metadata === false ? { metadata: false } : {}) })
  return { index, access, roles, kinds, patterns, metadata: rule.metadata !== false, text }
}

/**
 * Parses the `read` section (an array of rules; undefined or absent: no rules). The first bad
 * rule throws E_BAD_POLICY naming it (`read[2]`) and the reason.
 */
export function parseReadRules (section: unknown): ReadPolicy {
  if (section === undefined || section === null) return { rules: [], fingerprint: fingerprintOf([]) }
  if (!Array.isArray(section)) throw badPolicy(null, 'the read section is a list of rules')
  if (section.length > MAX_READ_RULES) throw badPolicy(null, `${section.length} rules, more than ${MAX_READ_RULES}`)
  const rules = section.map((raw, i) => parseRule(raw, i))
  return { rules, fingerprint: fingerprintOf(rules) }
}

function fingerprintOf (rules: ReadRule[]): string {
  return createHash('sha256').update(rules.map((r) => r.text).join('\n')).digest('hex').slice(0, 32)
}

function appliesTo (rule: ReadRule, roles: readonly string[]): boolean {
  return rule.roles === null || rule.roles.some((role) => roles.includes(role))
}

function matches (rule: ReadRule, path: string, kind: AssetKind | undefined): boolean {
  if (rule.kinds !== null && (kind === undefined || !rule.kinds.includes(kind))) return false
  // why: path selectors never look at the asset; a stand-in keeps Selector's signature
  for (const pattern of rule.patterns) if (pattern.test(path, NO_ASSET)) return true
  return false
}
const NO_ASSET = undefined as never

/**
 * What one set of roles may read: the policy's rules narrowed to those roles once, so that
 * deciding for each of a tree's assets tests only the rules that can apply.
 */
export class RoleReader {
  readonly roles: string[]
  readonly policy: ReadPolicy
  readonly #rules: ReadRule[]

  constructor (policy: ReadPolicy, roles: readonly string[]) {
    this.policy = policy
    this.roles = [...new Set(roles)].sort()
    this.#rules = policy.rules.filter((rule) => appliesTo(rule, this.roles))
  }

  /** no rule could deny these roles anything: every object may be served without looking */
  get readsEverything (): boolean {
    return this.#rules.every((rule) => rule.access === 'allow')
  }

  /** some rule for these roles withholds previews and file manifests ("metadata": false) */
  get hidesMetadata (): boolean {
    return this.#rules.some((rule) => !rule.metadata)
  }

  decide (path: string, kind: AssetKind | undefined): ReadDecision {
    for (const rule of this.#rules) {
      if (matches(rule, path, kind)) return { allowed: rule.access === 'allow', metadata: rule.access === 'allow' || rule.metadata, rule }
    }
    return ALLOWED
  }

  /**
   * Content no tree names (objects fetched by id: LFS objects, a version not yet on any ref): a
   * member with no restriction reads it; a restricted one only if an allow rule for every path
   * and kind comes before any deny, since we cannot tell whether it belongs to a denied path.
   */
  get readsUnlisted (): boolean {
    for (const rule of this.#rules) {
      if (rule.access === 'deny') return false
      if (rule.kinds === null && rule.patterns.some((p) => CATCH_ALL.has(p.text))) return true
    }
    return true
  }
}
const ALLOWED: ReadDecision = { allowed: true, metadata: true, rule: null }
const CATCH_ALL = new Set(['**', '*', '**/*', 'glob:**'])

/** Whether a member with `roles` may read the content at `path` (of `kind`); no policy: yes. */
export function mayRead (policy: ReadPolicy | undefined, roles: readonly string[], path: string, kind?: AssetKind): boolean {
  return policy === undefined || new RoleReader(policy, roles).decide(path, kind).allowed
}

/** The decision with the rule that made it, as a sentence (`gas`'s explain style). */
export function explainRead (policy: ReadPolicy | undefined, roles: readonly string[], path: string, kind?: AssetKind): ReadDecision & { why: string } {
  if (policy === undefined) return { ...ALLOWED, why: 'no read policy: every member reads everything' }
  const decision = new RoleReader(policy, roles).decide(path, kind)
  const who = roles.length === 0 ? 'a member with no role' : `roles ${[...roles].sort().join(', ')}`
  const why = decision.rule === null
    ? `no read rule matches ${path} for ${who}: allowed`
    : `read[${decision.rule.index}] ${decision.rule.text} ${decision.allowed ? 'allows' : 'denies'} ${path} for ${who}`
  return { ...decision, why }
}
