import type { Command } from 'commander'
import { checkIgnore } from '../../repo/check-ignore.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('check-ignore').description('say whether paths are ignored and which rule matched (.gasignore line or built-in group); exit 1 when none is')
    .argument('<paths...>').option('--json', 'print JSON')
    .action(action(async (p, paths: string[]) => {
      const results = await withWorkspace(async (ws) => await checkIgnore(ws, { paths, cwd: process.cwd() }))
      printResult(p, { paths: results }, () => results.map((r) => {
        if (r.tracked) return `${r.path}: tracked (ignore rules do not apply)`
        if (!r.ignored || r.rule === null) return `${r.path}: not ignored`
        return `${r.path}: ignored by "${r.rule.pattern}" (${r.rule.line === null ? r.rule.source : `${r.rule.source}:${r.rule.line}`})`
      }).join('\n'))
      // as `git check-ignore`: success when at least one path is ignored
      return results.some((r) => r.ignored) ? 0 : 1
    }))
}
