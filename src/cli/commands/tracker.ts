import type { Command } from 'commander'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const trackerModule = async () => await import('../../peer/discovery/tracker.js')
import { action } from '../action.js'
import { printResult } from '../output.js'
import { parsePort } from '../parse.js'

export function register (program: Command): void {
  program.command('tracker').description('run a WebTorrent-style tracker (foreground, until SIGINT/SIGTERM)')
    .option('--port <n>', 'port', parsePort, 8000)
    .option('--host <host>', 'address to listen on (0.0.0.0: every interface, so members on other machines reach it)', '0.0.0.0')
    .option('--json', 'print JSON')
    .action(action(async (p, opts: { port: number, host: string }) => {
      const tracker = await (await trackerModule()).startTracker({ port: opts.port, host: opts.host })
      printResult(p, { url: tracker.url, urls: tracker.urls, host: opts.host, port: tracker.port },
        () => `tracker listening on ${opts.host}:${tracker.port}; members use (gas team tracker URL): ${tracker.urls.join('  ')}`)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      await tracker.close()
    }))
}
