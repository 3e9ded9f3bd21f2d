import type { Command } from 'commander'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const previewShow = async () => await import('../../preview/show.js')
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

export function register (program: Command): void {
  program.command('preview').description('show an asset\'s preview (works without its content)').argument('<path-or-id>')
    .option('--out <file>', 'write the thumbnail here (default: .gas/previews/)').option('--version <rev>', 'the asset as it was in this version (id, prefix, tag, branch or REV~N)').option('--json', 'print JSON')
    .action(action(async (p, target: string, opts: { out?: string, version?: string }) => {
      const shown = await withWorkspace(async (ws) => await (await previewShow()).showPreview(ws, { target, out: opts.out, cwd: process.cwd(), rev: opts.version }))
      printResult(p, { kind: shown.kind, format: shown.format, image: shown.image, imageFormat: shown.imageFormat, clip: shown.clip, info: shown.info },
        () => [`${shown.kind}/${shown.format}`, ...Object.entries(shown.info).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`), shown.image !== null ? `image: ${shown.image} (${shown.imageFormat ?? ''})` : 'no image', ...(shown.clip !== null ? [`clip: ${shown.clip}`] : [])].join('\n'))
    }))
}
