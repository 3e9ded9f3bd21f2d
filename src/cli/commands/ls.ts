import type { Command } from 'commander'
import { listAssets } from '../../sync/list-assets.js'
import { action } from '../action.js'
import { GasError } from '../../errors.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { formatBytes } from '../../units.js'

export function register (program: Command): void {
  program.command('ls').description('tracked assets, with the ones whose content is not fetched here').argument('[path]').option('--json', 'print JSON')
    .action(action(async (p, path: string | undefined) => {
      const assets = await withWorkspace(async (ws) => await listAssets(ws, { under: path === undefined ? undefined : ws.relativePath(path, process.cwd()) }))
      // a path that names nothing tracked is a typo more often than an empty folder: said, as `gas log PATH` says it
      if (path !== undefined && assets.length === 0) throw GasError.notFound(`tracked asset at or under ${path} (\`gas ls\` lists every one)`, { path })
      printResult(p, { assets: assets.map((a) => ({ path: a.path, kind: a.kind, size: a.size, fetched: a.fetched, wanted: a.wanted })) },
        () => assets.map((a) => `${a.fetched ? 'fetched    ' : 'not fetched'} ${formatBytes(a.size).padStart(10)}  ${a.path}${!a.fetched && a.wanted ? ' (wanted: next sync)' : ''}`).join('\n'))
    }))
}
