import type { Command } from 'commander'
import { findAssets } from '../../repo/find.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { checkTag, parseTagArgument } from '../../objects/asset.js'
import { formatBytes } from '../../units.js'

export function register (program: Command): void {
  program.command('find').description('tracked assets matching tags, kind and a path glob')
    .option('--tag <KEY=VALUE|KEY>', 'must carry this tag, or this key with any value (repeatable)', collectTagFilter).option('--kind <kind>', 'texture, model, audio, …')
    .option('--path <glob>', 'path glob, e.g. "textures/**/*.png"').option('--json', 'print JSON')
    .action(action(async (p, opts: { tag?: TagFilter, kind?: string, path?: string }) => {
      const assets = await withWorkspace(async (ws) => await findAssets(ws, { tags: opts.tag?.tags, tagKeys: opts.tag?.keys, kind: opts.kind, path: opts.path }))
      printResult(p, { assets }, () => assets.map((a) => `${a.path}  ${a.kind}  ${formatBytes(a.size)}`).join('\n'))
    }))
}

interface TagFilter { tags: Record<string, string>, keys: string[] }

/** `--tag KEY=VALUE` or `--tag KEY`: why the key alone, `gas find --tag status` refused with "must look like KEY=VALUE" where `.gasrules` says `tag:status` */
function collectTagFilter (value: string, previous: TagFilter = { tags: {}, keys: [] }): TagFilter {
  if (!value.includes('=')) {
    checkTag(value, '')
    return { ...previous, keys: [...previous.keys, value] }
  }
  const [key, tagValue] = parseTagArgument(value)
  return { ...previous, tags: { ...previous.tags, [key]: tagValue } }
}
