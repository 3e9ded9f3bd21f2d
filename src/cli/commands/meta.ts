import type { Command } from 'commander'
import { parseTagArgument } from '../../objects/asset.js'
import { getMeta, setMeta } from '../../repo/meta.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { formatBytes } from '../../units.js'

export function register (program: Command): void {
  const meta = program.command('meta').description('asset metadata tags')
  meta.command('set').description('set tags on an asset (staged for the next version)').argument('<path>').argument('<KEY=VALUE...>')
    .option('--json', 'print JSON')
    .action(action(async (p, path: string, pairs: string[]) => {
      const tags = Object.fromEntries(pairs.map(parseTagArgument))
      const result = await withWorkspace(async (ws) => await setMeta(ws, { path, tags, cwd: process.cwd() }))
      printResult(p, result, () => `${result.path}: ${Object.entries(result.tags).map(([k, v]) => `${k}=${v}`).join(' ')}`)
    }))
  meta.command('get').description('tags, kind, format, size and sha256 of an asset').argument('<path>').option('--json', 'print JSON')
    .action(action(async (p, path: string) => {
      const m = await withWorkspace(async (ws) => await getMeta(ws, { path, cwd: process.cwd() }))
      printResult(p, { tags: m.tags, kind: m.kind, format: m.format, size: m.size, sha256: m.sha256 },
        () => [`${m.path}: ${m.kind}/${m.format}, ${formatBytes(m.size)}, sha256 ${m.sha256}`, ...Object.entries(m.tags).map(([k, v]) => `  ${k}=${v}`)].join('\n'))
    }))
}
