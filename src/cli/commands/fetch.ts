import { join } from 'node:path'
import type { Command } from 'commander'
import { peerSecurity } from '../../auth/peer-security.js'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const peerNode = async () => await import('../../peer/sync/peer-node.js')
import { planFetch, writeFetched, type FetchPlan, type WrittenFetch } from '../../sync/fetch-plan.js'
import { contentHere } from '../../repo/content-here.js'
import { planFetchAt } from '../../sync/fetch-version-plan.js'
import type { Workspace } from '../../repo/workspace.js'
import { ArrivingFiles } from '../../repo/arriving-files.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { EXIT_FAILURE, printResult } from '../output.js'
import { collect } from '../parse.js'
import { formatBytes, formatRate } from '../../units.js'

export function register (program: Command): void {
  program.command('fetch').description('get the content of assets the rules leave out, from the peers, now (kept until `gas gc`)').argument('<paths...>')
    .option('--tracker <url>', 'tracker URL (repeatable; default: the workspace\'s)', collect, [])
    .option('--version <rev>', 'the assets as they were in this version (id, prefix, tag, branch or REV~N): stored, not written; `gas restore --version` then needs no peer')
    .option('--json', 'print JSON')
    .action(action(async (p, paths: string[], opts: { tracker: string[], version?: string }) => {
      // for the person reading: who sent it and how fast (the JSON keeps its fields)
      let from = ''
      const result = await withWorkspace(async (ws) => {
        const plan = opts.version === undefined ? await planFetch(ws, { paths, cwd: process.cwd() }) : await planFetchAt(ws, { paths, rev: opts.version, cwd: process.cwd() })
        // the large files written while their chunks arrive, moved into place after (not written again from the store); not for --version, which writes nothing
        const arriving = opts.version === undefined && plan.roots.length > 0 ? new ArrivingFiles(ws.fs, join(ws.gasDir, 'tmp')) : undefined
        try {
          const got = plan.roots.length === 0 ? undefined : await (await peerNode()).fetchFromPeers({ ws, trackers: opts.tracker, security: peerSecurity(ws), roots: plan.roots, arriving })
          if (got !== undefined && got.fetched.bytes > 0) from = ` from ${got.perPeer.map((peer) => peer.name).join(', ')}${got.fetchSeconds > 0 ? ` in ${got.fetchSeconds.toFixed(1)} s (${formatRate(got.fetched.bytes / got.fetchSeconds)})` : ''}`
          // a refusal names the file manifest asked for; the plan knows its path
          const refused = new Set(got?.accessDenied.map((d) => d.path))
          const denied = plan.targets.filter((t) => refused.has(t.meta.file)).map((t) => t.path)
          // an older version is kept in the store: the workspace holds the version checked out
          const written: WrittenFetch & { stored?: string[] } = opts.version === undefined ? await writeFetched(ws, plan, arriving) : await storedOnly(ws, plan)
          return { fetched: got?.fetched ?? { objects: 0, bytes: 0 }, ...written, missing: written.missing.filter((path) => !denied.includes(path)), denied, alreadyHere: plan.targets.length === 0 }
        } finally {
          await arriving?.discard()
        }
      })
      // why said: "fetched 0 objects" left a user wondering whether the peers were asked at all
      printResult(p, result, () => result.alreadyHere ? `nothing to fetch: the content of ${paths.join(', ')} is here already` : [
        `fetched ${result.fetched.objects} objects (${formatBytes(result.fetched.bytes)})${from}`,
        ...result.written.map((path) => `  ${path}`),
        ...(result.stored ?? []).map((path) => `  ${path}: stored as in ${opts.version ?? ''} (\`gas restore ${path} --version ${opts.version ?? ''}\` writes it)`),
        ...result.skipped.map((path) => `  ${path}: fetched, not written (a file of yours is there)`),
        ...result.missing.map((path) => `  ${path}: no peer had it`),
        ...result.denied.map((path) => `  ${path}: refused (E_ACCESS_DENIED: your roles may not read it)`)
      ].join('\n'))
      if (result.denied.length > 0) {
        const message = `${result.denied.length} asset(s) refused by the peers: your roles may not read ${result.denied.slice(0, 10).join(', ')}`
        p.err(p.json ? JSON.stringify({ error: { code: 'E_ACCESS_DENIED', message } }) : `gas: E_ACCESS_DENIED: ${message}`)
        return EXIT_FAILURE
      }
      if (result.missing.length > 0) {
        const message = `${result.missing.length} asset(s) not fetched: no reachable peer had them`
        p.err(p.json ? JSON.stringify({ error: { code: 'E_SYNC_INCOMPLETE', message } }) : `gas: E_SYNC_INCOMPLETE: ${message}`)
        return EXIT_FAILURE
      }
    }))
}

/** `--version`: which targets are now stored whole (listed as `stored`), and which are still missing. */
async function storedOnly (ws: Workspace, plan: FetchPlan): Promise<WrittenFetch & { stored: string[] }> {
  const out = { written: [], skipped: [], missing: [] as string[], stored: [] as string[] }
  for (const target of plan.targets) (await contentHere(ws, target.meta.file) ? out.stored : out.missing).push(target.path)
  return out
}
