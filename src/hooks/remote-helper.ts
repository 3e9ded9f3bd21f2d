import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { GasError } from '../errors.js'
import { isAncestor } from '../peer/sync/ref-exchange.js'
import type { ObjectId } from '../objects/id.js'
import { readAsset } from '../repo/tree-io.js'
import type { Workspace } from '../repo/workspace.js'
import { gitConfig, runGit } from './git-command.js'
import { configureLfsAgent, installHook } from './hook-install.js'
import { indexPack, makePack } from './git-pack.js'
import { emptyState, gitRepoRef, readGitRepoState, REFS_PATH, storeFileAsset, writeGitRepoState, type GitRepoState } from './git-repo-state.js'
import { readManifest } from './lfs-store.js'
import { notOnPeers, PeerLink, type PeerLinkOptions } from './peer-link.js'
import { rm } from 'node:fs/promises'
import { phaseLog, type PhaseLog } from './phase-log.js'
import { deliverPush } from './push-delivery.js'
import { leavePushListing, pushInProgressListing } from './push-listing.js'
import { ownServeNote } from '../repo/serve-lock.js'

/**
 * `git-remote-gas`: git's remote helper protocol (gitremote-helpers(7)) for gas://TEAM/REPO.
 * git writes commands on stdin, one per line, batches ended by a blank line:
 *   capabilities            → "fetch", "push", blank
 *   list [for-push]         → "<sha> <ref>"…, "@<target> HEAD", blank
 *   fetch <sha> <ref>…      → objects filed in the repository (git index-pack), blank
 *   push [+]<src>:<dst>…    → "ok <dst>" or "error <dst> <why>" per ref, blank
 * The repository lives in gas under refs/git/<REPO> (see git-repo-state.ts), found locally or
 * on the team's peers; a push records a new signed state that peers adopt as a fast-forward.
 */

export interface GasUrl { team: string, repo: string }

export function parseGasUrl (url: string): GasUrl {
  const m = /^gas:\/\/([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url)
  if (m === null) throw GasError.badArgument(`"${url}" is not a gas URL: use gas://TEAM/REPO`)
  gitRepoRef(m[2])
  return { team: m[1], repo: m[2] }
}

export interface RemoteHelperOptions extends Omit<PeerLinkOptions, 'ws'> {
  ws: Workspace
  url: string
  /** the remote's name as git passed it (for `git fetch URL`, the URL itself) */
  remote?: string
  /** the local repository (git runs the helper with GIT_DIR set; this is where git commands run) */
  cwd: string
  input: Readable
  output: Writable
  /** progress and warnings (git shows the helper's stderr) */
  log?: (line: string) => void
  /** marks phases (GAS_DEBUG=1 prints their times) */
  phase?: PhaseLog
}

export async function runRemoteHelper (opts: RemoteHelperOptions): Promise<void> {
  const { ws } = opts
  const phase = opts.phase ?? phaseLog('git-remote-gas')
  const { team, repo } = parseGasUrl(opts.url)
  const teamName = ws.config.team?.name
  if (teamName !== team && ws.config.team?.id !== team) {
    throw GasError.badArgument(`${opts.url} names team "${team}" but the workspace ${ws.root} is in ${teamName === undefined ? 'no team' : `team "${teamName}"`}; set GAS_WORKSPACE or \`git config gas.workspace\` to a workspace of that team`)
  }
  // undefined: not in a repository (`git ls-remote gas://…` outside one)
  const gitDir = await configureRepository(opts.cwd, ws, opts.remote, opts.url)
  phase('repository configured')
  let leftListing: { forget: () => Promise<void> } | undefined
  const link = new PeerLink(opts)
  const send = (text: string): void => { opts.output.write(text) }
  let state: GitRepoState | undefined
  let forPush = false
  let pushed = false
  const current = async (): Promise<GitRepoState> => {
    if (state === undefined) {
      state = await reconcile(ws, link, repo, phase, forPush ? undefined : opts.log)
      phase('state reconciled')
    }
    return state
  }
  const lines = createInterface({ input: opts.input, crlfDelay: Infinity })
  let batch: { kind: 'fetch' | 'push', lines: string[] } | undefined
  try {
    for await (const line of lines) {
      if (batch !== undefined) {
        if (line !== '') {
          batch.lines.push(line)
          continue
        }
        const done = batch
        batch = undefined
        if (done.kind === 'fetch') {
          await fetchInto(ws, link, await current(), opts.cwd, done.lines, phase)
          send('\n')
          phase('fetch answered')
        } else {
          const before = await current()
          const { state: after, replies } = await push(ws, before, opts.cwd, repo, done.lines)
          pushed ||= after !== before
          state = after
          // the listing is the state before this push: nobody may answer from it now
          await leftListing?.forget().catch(() => {})
          leftListing = undefined
          send(replies.map((r) => `${r}\n`).join('') + '\n')
          phase('push answered')
        }
        continue
      }
      if (line === '') break
      const [command] = line.split(' ')
      if (command === 'capabilities') send('fetch\npush\n\n')
      else if (command === 'list') {
        forPush = line === 'list for-push'
        const inProgress = forPush || state !== undefined || gitDir === undefined ? undefined : await pushInProgressListing(gitDir, opts.url)
        if (inProgress !== undefined) {
          send(inProgress.listing)
          phase(`listed as the push in progress (pid ${inProgress.pid}) listed it`)
          continue
        }
        const text = listing(await current())
        if (forPush && gitDir !== undefined && leftListing === undefined) leftListing = await leavePushListing(gitDir, opts.url, text).catch(() => undefined)
        send(text)
      }
      else if (command === 'fetch' || command === 'push') batch = { kind: command, lines: [line] }
      else throw GasError.badArgument(`git-remote-gas: unsupported command "${line}"`)
    }
    if (pushed) await deliverPush(ws, link, repo, opts.log)
  } finally {
    lines.close()
    await leftListing?.forget().catch(() => {})
    await link.close()
    phase('link closed')
  }
}

/**
 * A repository whose remote is gas (a clone, above all) gets its LFS content through gas too:
 * git-lfs would otherwise look for an LFS server at the gas:// URL and fail the checkout. And
 * git-lfs reads `gas://TEAM/REPO` as an SSH address (host "gas") and runs `ssh gas
 * git-lfs-transfer` before every upload, which hangs until the host lookup fails (8 s measured);
 * the remote's LFS URL is pointed at the repository itself, which no transfer uses (the
 * standalone agent makes them all) and which needs no network. Settings the user made are left
 * alone. A clone also gets the pre-push hook (`gas hook install --lfs`).
 */
async function configureRepository (cwd: string, ws: Workspace, remote: string | undefined, url: string): Promise<string | undefined> {
  const found = await runGit(['rev-parse', '--git-dir'], { cwd, allowFailure: true })
  if (found.status !== 0) return undefined
  const gitDir = resolve(cwd, found.stdout.trim())
  if (await gitConfig('gas.workspace', cwd) === undefined) await runGit(['config', 'gas.workspace', ws.root], { cwd })
  if (await gitConfig('lfs.standalonetransferagent', cwd) === undefined) await configureLfsAgent(cwd)
  // why: a clone had git-lfs's pre-push only, so a member who cloned could push a locked file or a
  // large file outside LFS, which the team's hook refuses at the lead's; a repository still being
  // cloned (no HEAD yet) gets the hook, an existing hook of the user's kept and run after it
  if ((await runGit(['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd, allowFailure: true })).status !== 0) await installHook({ ws, cwd, lfs: true })
  if (remote !== undefined && /^[\w.-]+$/.test(remote) && await gitConfig(`remote.${remote}.url`, cwd) === url && await gitConfig(`remote.${remote}.lfsurl`, cwd) === undefined) {
    await runGit(['config', `remote.${remote}.lfsurl`, pathToFileURL(gitDir).href], { cwd })
  }
  return gitDir
}

function listing (state: GitRepoState): string {
  const lines = [...state.refs].map(([name, sha]) => `${sha} ${name}`)
  if (state.head !== undefined && state.refs.has(state.head)) lines.push(`@${state.head} HEAD`)
  return lines.map((l) => `${l}\n`).join('') + '\n'
}

/**
 * The newest state of the repository: ours, or a peer's that descends from ours (adopted with
 * compare-and-swap, as a sync would). Only the refs lists are fetched here, not the packs.
 */
async function reconcile (ws: Workspace, link: PeerLink, repo: string, phase: PhaseLog, log?: (line: string) => void): Promise<GitRepoState> {
  const name = gitRepoRef(repo)
  await link.open()
  phase(`connected (${describeRoutes(link)})`)
  const local = await ws.refs.read(name)
  let best = await bestState(ws, link, repo, local, log)
  // nobody connected has it: once more with every peer the tracker counts (see PeerLink.widen)
  if (best === undefined && await link.widen()) {
    phase(`connected again (${describeRoutes(link)})`)
    best = await bestState(ws, link, repo, local, log)
  }
  if (best === undefined) {
    // git says "cloned an empty repository"; say why there was nothing
    const note = link.windowNote
    if (note !== undefined) log?.(`gas: ${repo} is not in this workspace yet: an empty repository until the peers' transfer windows open; then \`git pull\` brings it`)
    else log?.(`gas: ${repo} is not in this workspace and no peer has it (${link.describePeers()}); an empty repository until someone pushes it`)
    return emptyState()
  }
  // a fetch that reached nobody answers from this workspace alone: "Already up to date" would otherwise hide that
  if (link.peers.length === 0) {
    const own = await ownServeNote(ws.fs, ws.gasDir)
    log?.(own !== undefined ? `gas: ${repo}: no teammate online; ${own}` : `gas: ${repo}: ${link.describePeers()}; git sees it as this workspace last had it (a member who pushed since must be online: \`gas serve\`)`)
  }
  if (best !== local) await ws.refs.update({ name, newId: best, expectedOld: local ?? null, message: 'fast-forward from a peer', who: ws.identity.name, now: ws.clock.now() })
  return await readGitRepoState(ws.store, best)
}

function describeRoutes (link: PeerLink): string {
  return link.routes.map((r) => `${r.peer.slice(0, 8)} over ${r.transport}`).join(', ')
}

/** The newest state of `repo`: ours (`local`), or a connected peer's that descends from it, once its refs list is fetched and its signature trusted. */
async function bestState (ws: Workspace, link: PeerLink, repo: string, local: ObjectId | undefined, log?: (line: string) => void): Promise<ObjectId | undefined> {
  const name = gitRepoRef(repo)
  const wantRefsOnly = (path: string): boolean => path === REFS_PATH
  let best = local
  for (const [peer, id] of link.refValues(name)) {
    if (id === best) continue
    const fetched = await link.fetch([id], wantRefsOnly)
    if (fetched.missing.length > 0) {
      const note = link.windowNote
      log?.(note !== undefined ? `gas: ${peer}'s state of ${repo} waits: ${note}` : `gas: ${peer}'s state of ${repo} could not be fetched (${fetched.missing.length} object(s) missing, e.g. ${fetched.missing[0]}); skipped`)
      continue
    }
    const refused = await link.authorize(name, id).then(() => undefined, (err: unknown) => err)
    if (refused instanceof GasError) {
      log?.(`gas: ${peer}'s state of ${repo} refused: ${refused.code}: ${refused.message}`)
      continue
    }
    if (refused !== undefined) throw refused
    if (best === undefined || await isAncestor(ws.store, best, id)) best = id
    else if (!(await isAncestor(ws.store, id, best))) log?.(`gas: ${peer} has a state of ${repo} that diverged from ${best.slice(0, 12)}; kept ours (theirs: ${id.slice(0, 12)})`)
  }
  return best
}

async function fetchInto (ws: Workspace, link: PeerLink, state: GitRepoState, cwd: string, lines: string[], phase: PhaseLog): Promise<void> {
  const wanted = lines.map((l) => l.split(' ')[1]).filter((sha): sha is string => sha !== undefined)
  const present = await runGit(['cat-file', '--batch-check'], { cwd, input: `${wanted.join('\n')}\n` })
  if (!present.stdout.includes(' missing')) return
  if (state.version === undefined) throw GasError.notFound('the repository state')
  let fetched = await link.fetch([state.version])
  if (fetched.missing.length > 0 && await link.widen()) fetched = await link.fetch([state.version])
  phase(`packs fetched (${fetched.objects} objects, ${fetched.bytes} bytes)`)
  if (fetched.missing.length > 0) throw notOnPeers(`${fetched.missing.length} object(s) of the git repository's packs`, link)
  const packDir = resolve(cwd, (await runGit(['rev-parse', '--git-path', 'objects/pack'], { cwd })).stdout.trim())
  for (const [name, assetId] of state.packs) {
    if (existsSync(join(packDir, `pack-${name}.idx`))) continue
    const manifest = await readManifest(ws.store, (await readAsset(ws.store, assetId)).file)
    if (manifest === undefined) throw GasError.notFound(`pack ${name}`)
    await indexPack({ cwd, store: ws.store, manifest })
    phase(`pack ${name.slice(0, 12)} indexed`)
  }
}

async function push (ws: Workspace, state: GitRepoState, cwd: string, repo: string, lines: string[]): Promise<{ state: GitRepoState, replies: string[] }> {
  const refs = new Map(state.refs)
  const replies: string[] = []
  const tips: string[] = []
  const updated: string[] = []
  for (const line of lines) {
    const spec = line.slice('push '.length)
    const force = spec.startsWith('+')
    const [src, dst] = (force ? spec.slice(1) : spec).split(':')
    if (dst === undefined || !dst.startsWith('refs/')) {
      replies.push(`error ${dst ?? spec} gas can only push to refs/... names`)
      continue
    }
    if (src === '') {
      refs.delete(dst)
      updated.push(dst)
      replies.push(`ok ${dst}`)
      continue
    }
    const sha = (await runGit(['rev-parse', '--verify', `${src}^{}`], { cwd })).stdout.trim()
    const old = refs.get(dst)
    if (old === sha) {
      replies.push(`ok ${dst}`)
      continue
    }
    if (old !== undefined && !force) {
      const known = (await runGit(['cat-file', '-e', `${old}^{commit}`], { cwd, allowFailure: true })).status === 0
      if (!known) {
        replies.push(`error ${dst} fetch first`)
        continue
      }
      if ((await runGit(['merge-base', '--is-ancestor', old, sha], { cwd, allowFailure: true })).status !== 0) {
        replies.push(`error ${dst} non-fast-forward`)
        continue
      }
    }
    refs.set(dst, sha)
    tips.push(sha)
    updated.push(dst)
    replies.push(`ok ${dst}`)
  }
  if (updated.length === 0) return { state, replies }
  // what the remote has and we hold locally bounds the pack: only the objects new to the remote go in
  const remoteShas = [...new Set(state.refs.values())]
  const held = remoteShas.length === 0 ? '' : (await runGit(['cat-file', '--batch-check=%(objectname)'], { cwd, input: `${remoteShas.join('\n')}\n` })).stdout
  const haves = remoteShas.filter((sha) => held.split('\n').includes(sha))
  const pack = tips.length > 0 ? await makePack({ cwd, tips, haves }) : undefined
  let newPack: { name: string, asset: ObjectId } | undefined
  if (pack !== undefined) {
    try {
      newPack = { name: pack.name, asset: await storeFileAsset(ws, pack.path, 'pack') }
    } finally {
      await rm(pack.path, { force: true })
    }
  }
  const head = state.head !== undefined && refs.has(state.head) ? state.head : refs.has('refs/heads/main') ? 'refs/heads/main' : refs.has('refs/heads/master') ? 'refs/heads/master' : [...refs.keys()].find((r) => r.startsWith('refs/heads/'))
  const after = await writeGitRepoState(ws, { repo, base: state, refs, head, newPack, message: `git push ${repo}: ${updated.join(', ')}` })
  return { state: after, replies }
}
