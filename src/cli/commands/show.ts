import type { Command } from 'commander'
import { showVersion } from '../../repo/show.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { describeAssetDiff } from './diff.js'

export function register (program: Command): void {
  program.command('show').description('one version: author, time, message, tags and what it changed (REV: id, prefix, tag, branch, REV~N; default HEAD)')
    .argument('[rev]').option('--json', 'print JSON')
    .action(action(async (p, rev: string | undefined) => {
      const shown = await withWorkspace(async (ws) => await showVersion(ws, { rev }))
      const v = shown.version
      printResult(p, shown, () => [
        `version ${v.id}`,
        ...(v.parents.length > 1 ? [`merge of ${v.parents.map((id) => id.slice(0, 12)).join(' ')}`] : []),
        `author  ${v.author}`,
        `time    ${v.time} (${v.timeZone})`,
        ...Object.entries(v.tags).map(([k, val]) => `tag     ${k}=${val}`),
        '',
        `    ${v.message}`,
        '',
        shown.parent === null ? 'first version:' : `changes against ${shown.parent.slice(0, 12)}:`,
        ...(shown.assets.length === 0 ? ['no asset changed'] : shown.assets.map(describeAssetDiff))
      ].join('\n'))
    }))
}
