import type { Command } from 'commander'
import { createTag, listTags } from '../../repo/tag.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('tag').description('name a version (REV: id, prefix, tag, branch, REV~N); no NAME lists tags').argument('[name]').argument('[rev]')
    .option('-m, --message <msg>', 'tag message').option('--json', 'print JSON')
    .action(action(async (p, name: string | undefined, rev: string | undefined, opts: { message?: string }) => {
      if (name === undefined) {
        const tags = await withWorkspace(async (ws) => await listTags(ws))
        // text: names only, one a line, as `git tag` lists them (scripts read it); --json adds the versions
        printResult(p, { tags }, () => tags.map((t) => t.name).join('\n'))
        return
      }
      const result = await withWorkspace(async (ws) => await createTag(ws, { name, rev, message: opts.message }))
      printResult(p, { name, ...result }, () => `tag ${name} → ${result.version.slice(0, 12)}`)
    }))
}
