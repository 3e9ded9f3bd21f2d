import type { Command } from 'commander'
import { findAssets } from '../../repo/find.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { collectTag } from '../parse.js'
import { formatBytes } from '../../units.js'

export function register (program: Command): void {
  program.command('find').description('tracked assets matching tags, kind and a path glob')
    .option('--tag <KEY=VALUE>', 'must carry this tag (repeatable)', collectTag).option('--kind <kind>', 'texture, model, audio, …')
    .option('--path <glob>', 'path glob, e.g. "textures/**/*.png"').option('--json', 'print JSON')
    .action(action(async (p, opts: { tag?: Record<string, string>, kind?: string, path?: string }) => {
      const assets = await withWorkspace(async (ws) => await findAssets(ws, { tags: opts.tag, kind: opts.kind, path: opts.path }))
      printResult(p, { assets }, () => assets.map((a) => `${a.path}  ${a.kind}  ${formatBytes(a.size)}`).join('\n'))
    }))
}
