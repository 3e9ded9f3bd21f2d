import type { Command } from 'commander'
import { log } from '../../repo/log.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { parseCount } from '../parse.js'

export function register (program: Command): void {
  program.command('log').description('versions, newest first; with PATH only those that changed it').argument('[path]')
    .option('--rev <rev>', 'start from this revision').option('-n, --limit <n>', 'at most n versions', parseCount).option('--json', 'print JSON')
    .action(action(async (p, path: string | undefined, opts: { rev?: string, limit?: number }) => {
      const versions = await withWorkspace(async (ws) => await log(ws, { from: opts.rev, path: path === undefined ? undefined : ws.relativePath(path, process.cwd()), limit: opts.limit }))
      // an empty answer read as a command that did nothing
      const none = path !== undefined ? `no version changed ${path}` : opts.rev !== undefined ? `no version from ${opts.rev}` : 'no versions yet: `gas add PATH`, then `gas commit -m MESSAGE` records the first'
      printResult(p, { versions }, () => versions.length === 0 ? none : versions.map((v) => {
        const tags = Object.entries(v.tags).map(([k, val]) => `${k}=${val}`).join(' ')
        return `${v.id.slice(0, 12)} ${v.time} ${v.author}  ${v.message}${tags !== '' ? `  [${tags}]` : ''}`
      }).join('\n'))
    }))
}
