import type { Command } from 'commander'
import { peerSecurity } from '../../auth/peer-security.js'
import { GasError } from '../../errors.js'
import { diffBuilds } from '../../build/diff.js'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const buildFetch = async () => await import('../../build/fetch.js')
import { listBuilds } from '../../build/list.js'
import { peersAcceptOwnWrite } from '../../auth/own-write-rights.js'
const buildPublish = async () => await import('../../build/publish.js')
import { verifyBuildFolder } from '../../build/verify.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { EXIT_FAILURE, printResult } from '../output.js'
import { collect } from '../parse.js'
import { progressBar } from '../progress.js'
import { formatBytes } from '../../units.js'

function parseSeconds (text: string): number {
  const seconds = Number(text)
  if (!Number.isFinite(seconds) || seconds <= 0) throw GasError.badArgument(`--wait needs a number of seconds, not "${text}"`)
  return seconds
}

export function register (program: Command): void {
  const build = program.command('build').description('publish, fetch, verify, list and compare signed builds')

  build.command('publish').description('publish the files of DIR as the signed build NAME@VERSION (never replaced once set)').argument('<dir>')
    .requiredOption('--name <name>', 'build name').requiredOption('--version <version>', 'build version')
    .option('--platform <platform>', 'target platform, e.g. win64').option('--engine <engine>', 'NAME[@VERSION] (default: read from the project files)')
    .option('--dep <NAME@VERSION|ID>', 'a build, asset or version this build depends on (repeatable)', collect, []).option('--json', 'print JSON')
    .action(action(async (p, dir: string, opts: { name: string, version: string, platform?: string, engine?: string, dep: string[] }) => {
      const r = await withWorkspace(async (ws) => {
        // why: every peer refuses a build ref from a role that may not write it, and a build is never replaced: refused here, before the name is taken locally
        if (!(await peersAcceptOwnWrite(ws, `refs/builds/${opts.name}/${opts.version}`))) {
          throw new GasError('E_ACCESS_DENIED', `your roles (${ws.config.roles.join(', ')}) may not publish builds: the team's peers refuse refs/builds/* from them (see \`gas team policy show\`); a lead or admin can give you the build role: \`gas team roles ${ws.identity.name} ${[...ws.config.roles, 'build'].join(',')}\``)
        }
        return await (await buildPublish()).publishBuild(ws, { dir, name: opts.name, version: opts.version, platform: opts.platform, engine: opts.engine, deps: opts.dep })
      })
      printResult(p, r, () => `${r.unchanged ? 'already published' : 'published'} ${r.name}@${r.version} ${r.build.slice(0, 12)}: ${r.files} files, ${formatBytes(r.bytes)} (${r.newChunks} new chunks), Merkle root ${r.merkleRoot.slice(0, 16)}…`)
    }))

  build.command('fetch').description('fetch NAME@VERSION from the team into DIR, verified before it appears there').argument('<build>').argument('<dir>')
    .option('--tracker <url>', 'tracker URL (repeatable; default: the workspace\'s)', collect, [])
    .option('--with-deps', 'fetch the builds it depends on too, beside DIR')
    .option('--wait <seconds>', 'how long to wait for peers: the first, then each other one the tracker counts (default 5, then 1; slow links need more)', parseSeconds)
    .option('--json', 'print JSON')
    .action(action(async (p, spec: string, dir: string, opts: { tracker: string[], withDeps?: boolean, wait?: number }) => {
      const bar = p.json ? undefined : progressBar()
      const waitMs = opts.wait === undefined ? undefined : opts.wait * 1000
      const r = await withWorkspace(async (ws) => await (await buildFetch()).fetchBuild({ ws, spec, dir, trackers: opts.tracker, security: peerSecurity(ws), withDeps: opts.withDeps, firstPeerWaitMs: waitMs, morePeersWaitMs: waitMs, onProgress: (prog) => bar?.update(prog) }))
      bar?.stop()
      printResult(p, r, () => [
        `${r.name}@${r.version} ${r.build.slice(0, 12)} verified in ${r.dir}: ${r.files} files, ${formatBytes(r.bytes)}; fetched ${r.fetched.objects} objects (${formatBytes(r.fetched.bytes)}) from ${r.peers.length} peer(s)`,
        ...r.dependencies.map((d) => `  dependency ${d.name}${d.dir !== null ? ` in ${d.dir}` : ' in the store'}`),
        ...keptLines(r)
      ].join('\n'))
    }))

  build.command('verify').description('check DIR against its signed build record, offline; exit 1 if anything differs').argument('<dir>').option('--json', 'print JSON')
    .action(action(async (p, dir: string) => {
      const r = await verifyBuildFolder({ dir })
      printResult(p, { ok: r.ok, build: r.build, name: r.name, version: r.version, mismatches: r.mismatches, missing: r.missing, extra: r.extra }, () => [
        r.ok ? `${r.name}@${r.version} ${r.build.slice(0, 12)}: every file matches the signed build` : `${r.name}@${r.version} ${r.build.slice(0, 12)}: NOT the published build`,
        ...r.mismatches.map((m) => `  changed: ${m.path}`),
        ...r.missing.map((m) => `  missing: ${m}`),
        ...r.extra.map((m) => `  extra:   ${m}`)
      ].join('\n'))
      return r.ok ? 0 : EXIT_FAILURE
    }))

  build.command('list').description('builds known here (NAME: only that one), newest first').argument('[name]').option('--json', 'print JSON')
    .action(action(async (p, name: string | undefined) => {
      const builds = await withWorkspace(async (ws) => await listBuilds(ws, { name }))
      printResult(p, { builds }, () => builds.map((b) => `${b.name}@${b.version}  ${b.build.slice(0, 12)}  ${b.time}  ${b.publisher.name}  ${b.platform ?? '-'}  ${formatBytes(b.size)}${b.local ? '' : '  (not fetched)'}`).join('\n'))
    }))

  build.command('diff').description('files added, removed and changed from build A to B, and what fetching B costs given A').argument('<a>').argument('<b>').option('--json', 'print JSON')
    .action(action(async (p, a: string, b: string) => {
      const d = await withWorkspace(async (ws) => await diffBuilds(ws, { from: a, to: b }))
      printResult(p, d, () => [
        ...d.added.map((f) => `A ${f.path} (${formatBytes(f.size)})`),
        ...d.removed.map((f) => `D ${f.path} (${formatBytes(f.size)})`),
        ...d.changed.map((f) => `M ${f.path} (${formatBytes(f.fromSize)} → ${formatBytes(f.size)})`),
        `${d.unchanged} unchanged; fetching ${d.to.name}@${d.to.version} given ${d.from.name}@${d.from.version} costs ${formatBytes(d.fetchBytes)}${d.estimated ? ' (at most)' : ''}`
      ].join('\n'))
    }))
}

/** What happened to the files of the folder's previous build that were the tester's, not the build's. */
function keptLines (r: { kept: string[], previousKeptAs?: string }): string[] {
  const lines: string[] = []
  if (r.kept.length > 0) {
    const named = r.kept.slice(0, 5).join(', ') + (r.kept.length > 5 ? `, and ${r.kept.length - 5} more` : '')
    lines.push(`  kept ${r.kept.length} file(s) of yours from the previous build's folder (not part of that build): ${named}`)
  }
  if (r.previousKeptAs !== undefined) lines.push(`  the previous folder is kept whole as ${r.previousKeptAs}: its record could not be checked, so its files could not be told from the build's`)
  return lines
}
