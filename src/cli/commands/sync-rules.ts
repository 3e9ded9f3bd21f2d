import type { Command } from 'commander'
import { explainPath } from '../../sync/explain.js'
import type { HistoryContent } from '../../repo/config.js'
import { GasError } from '../../errors.js'
import { addOverride, clearOverrides, historyContentOf, setHistoryContent } from '../../sync/overrides.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

/** `gas sync explain|include|exclude`: registered under `gas sync` by sync.ts. */
export function registerSyncRules (sync: Command): void {
  sync.command('explain').description('whether this workspace fetches the content at PATH, and which rule decided').argument('<path>').option('--json', 'print JSON')
    .action(action(async (p, path: string) => {
      const result = await withWorkspace(async (ws) => await explainPath(ws, { path, cwd: process.cwd() }))
      printResult(p, { wanted: result.wanted, rule: result.rule, reason: result.reason, path: result.path, tracked: result.tracked },
        () => `${result.path}: ${result.wanted ? 'wanted' : 'not wanted'}\n  rule:   ${result.rule}\n  reason: ${result.reason}`)
    }))
  for (const which of ['include', 'exclude'] as const) {
    sync.command(which).description(`${which} content matching PATTERN here (a local override of .gasrules, not shared)`).argument('[pattern...]')
      .option('--clear', 'remove every local override').option('--json', 'print JSON')
      .action(action(async (p, words: string[], opts: { clear?: boolean }) => {
        const overrides = await withWorkspace(async (ws) => {
          if (opts.clear === true) { await clearOverrides(ws); return [] }
          return await addOverride(ws, { action: which, pattern: words.join(' ') })
        })
        printResult(p, { overrides }, () => overrides.length === 0 ? 'no local overrides' : `local overrides (last match wins):\n${overrides.map((o) => `  ${o}`).join('\n')}`)
      }))
  }
  sync.command('history').description('which versions\' content a sync keeps here: current (the versions branches and tags name; older ones on demand) or all').argument('[which]', 'current or all').option('--json', 'print JSON')
    .action(action(async (p, which: string | undefined) => {
      if (which !== undefined && which !== 'current' && which !== 'all') throw GasError.badArgument(`gas sync history takes current or all, not ${JSON.stringify(which)}`)
      const history = await withWorkspace(async (ws) => which === undefined ? historyContentOf(ws) : await setHistoryContent(ws, which as HistoryContent))
      printResult(p, { history }, () => history === 'all'
        ? 'a sync keeps the content of every stored version here'
        : 'a sync keeps the content of the versions branches and tags name; older versions come on demand (gas restore --version, gas fetch --version)')
    }))
}
