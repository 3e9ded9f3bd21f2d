import { join } from 'node:path'
import ignore, { type Ignore } from 'ignore'
import { fromFsError } from '../errors.js'
import type { FileSystem } from '../objects/fs.js'

/** The workspace's own ignore file, in gitignore syntax, at the workspace root. */
export const IGNORE_FILE = '.gasignore'

/**
 * Built-in rules a game team needs without writing them: OS litter and the engines' caches (each
 * engine's own .gitignore template: Unity's folders sit at the project root, Unreal's and Godot's
 * also appear inside plugins). They come first, so a `.gasignore` line such as `!Library/` wins.
 */
export const BUILT_IN_RULES: ReadonlyArray<{ group: string, patterns: readonly string[] }> = [
  { group: 'os', patterns: ['.DS_Store', 'Thumbs.db', 'desktop.ini', '*~', '*.tmp', '.git'] },
  // another workspace inside this one (a nested `gas init`, a copied project): its store and private key are never assets, and a tree may not hold `.gas`
  { group: 'gas', patterns: ['.gas/'] },
  { group: 'unity', patterns: ['/Library/', '/Temp/', '/Logs/', '/obj/', '/UserSettings/'] },
  { group: 'unreal', patterns: ['Intermediate/', 'Saved/', 'DerivedDataCache/', 'Binaries/'] },
  { group: 'godot', patterns: ['.godot/', '.import/'] }
]

/** Which rule decided: a line of `.gasignore` or a built-in group. */
export interface IgnoreMatch {
  /** the pattern as written */
  pattern: string
  /** `.gasignore` or `built-in: <group>` */
  source: string
  /** 1-based line in `.gasignore`; null for a built-in rule */
  line: number | null
  /** a `!pattern` that re-includes the path */
  negative: boolean
}

export interface IgnoreVerdict { path: string, ignored: boolean, rule: IgnoreMatch | null }

/** The ignore rules of one workspace (built-ins + `.gasignore`), matched by the `ignore` package (gitignore semantics). */
export class IgnoreRules {
  /** every pattern in the order added (built-ins first): what a walk worker rebuilds the matcher from */
  readonly patterns: string[] = []
  private constructor (private readonly matcher: Ignore) {}

  /** Built-in rules, then the workspace's `.gasignore` if there is one. */
  static async load (fs: FileSystem, root: string): Promise<IgnoreRules> {
    let text = ''
    try {
      text = await fs.readFile(join(root, IGNORE_FILE), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromFsError(err, IGNORE_FILE)
    }
    return IgnoreRules.fromText(text)
  }

  /** Rules from the text of a `.gasignore` (the built-ins always come first). */
  static fromText (gasignore: string): IgnoreRules {
    const matcher = ignore()
    const rules = new IgnoreRules(matcher)
    for (const { group, patterns } of BUILT_IN_RULES) {
      matcher.add(patterns.map((pattern) => ({ pattern, mark: `built-in: ${group}` })))
      rules.patterns.push(...patterns)
    }
    gasignore.split(/\r?\n/).forEach((pattern, i) => {
      // why: one rule per line keeps each line's number as its mark (comments and blanks are skipped by `ignore`)
      if (pattern.trim() !== '' && !pattern.startsWith('#')) {
        matcher.add({ pattern, mark: `${IGNORE_FILE}:${i + 1}` })
        rules.patterns.push(pattern)
      }
    })
    return rules
  }

  /** Whether a workspace-relative '/'-separated path is ignored; folders are tested with `isFolder` (a `Library/` rule names folders only). */
  ignores (path: string, isFolder = false): boolean {
    return this.matcher.ignores(isFolder ? `${path}/` : path)
  }

  /** Whether `path` is ignored and by which rule (the last that matched, as `git check-ignore -v` says). */
  explain (path: string, isFolder = false): IgnoreVerdict {
    const result = this.matcher.test(isFolder ? `${path}/` : path)
    const rule = result.rule ?? undefined
    if (rule === undefined) return { path, ignored: result.ignored, rule: null }
    const mark = rule.mark ?? IGNORE_FILE
    const line = mark.startsWith(`${IGNORE_FILE}:`) ? Number(mark.slice(IGNORE_FILE.length + 1)) : null
    return { path, ignored: result.ignored, rule: { pattern: rule.pattern, source: line === null ? mark : IGNORE_FILE, line, negative: rule.negative } }
  }
}
