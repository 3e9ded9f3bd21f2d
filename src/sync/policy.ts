import { createHash } from 'node:crypto'
import type { Asset } from '../objects/asset.js'
import { ENGINES, type EngineName } from '../repo/engine.js'
import type { Companion } from './companions.js'
import { presetRules } from './role-presets.js'
import { RULES_FILE, parseRuleLine, ruleMatches, type Rule } from './rules.js'
import { formatBytes } from '../units.js'

/**
 * The content policy of one member: which assets' content this workspace fetches.
 *
 * Evaluation order (README "Selective sync"):
 *   1. `.gasrules` itself is always wanted (the policy must reach everyone).
 *   2. A companion file (`X.meta`, `X.import`) is wanted exactly when `X` is.
 *   3. For each of the member's roles: that role's preset, then the engine's cache folders
 *      (excluded), then the `.gasrules` lines that apply to the role (outside any section, or in
 *      its `[role R]` section) in file order. The last rule that matches decides; none: not wanted.
 *   4. With several roles, wanted when any role wants it (the union).
 *   5. Local overrides (`gas sync include|exclude`), in the order added: the last one that
 *      matches decides over steps 3–4.
 * A member with no roles (no team) wants everything, as before selective sync.
 */

export interface Decision {
  wanted: boolean
  /** the rule that decided: "FILE:LINE: RULE", "preset ROLE:N: RULE", "local:N: RULE", or what else decided */
  rule: string
  reason: string
}

export type { Companion }

export interface PolicyInputs {
  /** the parsed `.gasrules` (empty: none) */
  rules: Rule[]
  /** the member's roles (certificate); empty: everything is wanted */
  roles: string[]
  /** local override lines, "include PATTERN" / "exclude PATTERN", oldest first */
  overrides?: string[]
  engine?: EngineName | null
}

interface RoleRules { role: string, rules: Rule[] }

export class SyncPolicy {
  readonly roles: string[]
  readonly engine: EngineName | null
  /** changes whenever any input that decides content changes: a cache of whole trees is stale then */
  readonly fingerprint: string
  readonly #byRole: RoleRules[]
  readonly #overrides: Rule[]
  readonly #everything: boolean

  constructor (inputs: PolicyInputs) {
    this.engine = inputs.engine ?? null
    this.roles = [...new Set(inputs.roles)].sort()
    this.#everything = this.roles.length === 0
    const caches = this.engine === null
      ? []
      : ENGINES[this.engine].cacheFolders.map((folder, i) => parseRuleLine(`exclude ${folder}/`, { file: `engine ${this.engine ?? ''} cache`, line: i + 1 }))
    this.#byRole = this.roles.map((role) => ({
      role,
      rules: [...(presetRules(role) ?? []), ...caches, ...inputs.rules.filter((r) => r.role === null || r.role === role)]
    }))
    this.#overrides = (inputs.overrides ?? []).map((line, i) => parseRuleLine(line, { file: 'local', line: i + 1 }))
    this.fingerprint = createHash('sha256').update(JSON.stringify({
      roles: this.roles,
      engine: this.engine,
      rules: inputs.rules.map((r) => [r.role, r.text]),
      overrides: this.#overrides.map((r) => r.text)
    })).digest('hex')
  }

  /** The walk's question, answered without building explanations (200 000 assets a sync). */
  readonly wants = (path: string, asset: Asset, companion?: Companion): boolean => {
    if (companion !== undefined) return companion.asset === null || this.wants(companion.path, companion.asset)
    if (path === RULES_FILE) return true
    const override = lastMatch(this.#overrides, path, asset)
    if (override !== undefined) return override.action === 'include'
    if (this.#everything) return true
    for (const { rules } of this.#byRole) if (lastMatch(rules, path, asset)?.action === 'include') return true
    return false
  }

  /** `gas sync explain`: the decision with the rule that made it. */
  explain (path: string, asset: Asset, companion?: Companion): Decision {
    if (companion?.asset === null) return { wanted: true, rule: 'builtin: folder companion', reason: `${path} describes the folder ${companion.path}, which the engine needs wherever the folder is` }
    if (companion !== undefined) {
      const partner = this.explain(companion.path, companion.asset)
      return { wanted: partner.wanted, rule: partner.rule, reason: `${path} travels with ${companion.path}: ${partner.reason}` }
    }
    if (path === RULES_FILE) return { wanted: true, rule: 'builtin: rules file', reason: `${RULES_FILE} is the team's policy and always syncs` }
    const what = `${path} (${asset.kind}, ${formatBytes(asset.size)}${Object.keys(asset.tags).length > 0 ? `, tags ${Object.entries(asset.tags).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''})`
    const override = lastMatch(this.#overrides, path, asset)
    if (override !== undefined) {
      return { wanted: override.action === 'include', rule: describe(override), reason: `${what} matches the local override "${override.text}", which comes last` }
    }
    if (this.#everything) return { wanted: true, rule: 'no roles', reason: `${what}: a member without roles fetches everything` }
    const outcomes = this.#byRole.map(({ role, rules }) => ({ role, rule: lastMatch(rules, path, asset) }))
    const deciding = outcomes.find((o) => o.rule?.action === 'include') ?? outcomes.find((o) => o.rule !== undefined)
    if (deciding?.rule === undefined) {
      return { wanted: false, rule: `no rule (roles ${this.roles.join(', ')})`, reason: `${what} matches no rule of role ${this.roles.join(' or ')}; content not fetched` }
    }
    const wanted = deciding.rule.action === 'include'
    const others = this.roles.length > 1 ? (wanted ? ' (any of the member\'s roles suffices)' : ` (no role of ${this.roles.join(', ')} includes it)`) : ''
    return { wanted, rule: describe(deciding.rule), reason: `${what} matches "${deciding.rule.text}" for role ${deciding.role}, the last matching rule${others}` }
  }
}

function lastMatch (rules: Rule[], path: string, asset: Asset): Rule | undefined {
  for (let i = rules.length - 1; i >= 0; i--) if (ruleMatches(rules[i], path, asset)) return rules[i]
  return undefined
}

function describe (rule: Rule): string {
  return `${rule.source.file}:${rule.source.line}: ${rule.text}${rule.role !== null ? ` [role ${rule.role}]` : ''}`
}
