import type { Command } from 'commander'
import { GasError, isGasError } from '../../errors.js'
import type { PeerSyncResult } from '../../peer/sync/peer-node.js'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const peerNode = async () => await import('../../peer/sync/peer-node.js')
import { START_SERVE_HINT, type TrackerReport } from '../../peer/discovery/tracker-report.js'
import { PATHS_IN_MESSAGE } from '../../peer/sync/sync-outcome.js'
import { action } from '../action.js'
import { traceMark } from '../../trace.js'
import { withWorkspace } from '../context.js'
import { printResult, type Printer } from '../output.js'
import { collect } from '../parse.js'
import { progressBar } from '../progress.js'
import { peerSecurity } from '../../auth/peer-security.js'
import { selectiveSyncOptions } from '../../sync/workspace-policy.js'
import { registerSyncRules } from './sync-rules.js'
import { formatBytes, formatRate } from '../../units.js'
import { skippedPaths, type SkippedPath } from '../../sync/skip-report.js'
import { lockExchangeOf } from '../../auth/lock-exchange-of.js'
import { lockedChangeLines, syncLocksJson, syncLocksLines } from '../lock-report.js'
import { checkPeerOptions } from '../peer-options.js'
import { ownServeNote } from '../../repo/serve-lock.js'
import type { Workspace } from '../../repo/workspace.js'
import type { SyncProgress } from '../../peer/sync/sync-engine.js'

/**
 * why: a person waits on `gas sync`; when every tracker says no other member is online, waiting the
 * full first-peer wait (5 s) for one to appear costs each such sync seconds for nothing (a serve
 * that joins later still reaches us with its offer within this time)
 */
const ALONE_WAIT_MS = 1_000
/** Without --once, `gas sync` syncs again this often until SIGINT/SIGTERM. */
const REPEAT_MS = 30_000
/** why: without peers or with objects missing, the next try comes sooner; it backs off to REPEAT_MS */
const RETRY_FIRST_MS = 5_000
/**
 * Failures a sync without --once waits out instead of exiting: no peer reachable yet, a full disk
 * (the store keeps what was indexed, and the next round fetches the rest once space is freed), and
 * the workspace held by another command past the lock's wait (a `gas restore` or a second
 * sync writing large files; `gas add` holds it only to update the index): the next round checks
 * out what this one fetched. why: `gas sync` left running is how a member stays current;
 * exiting on a condition that passes or the user fixes outside gas meant it silently stopped syncing.
 */
const WAITED_OUT = ['E_NO_PEERS', 'E_DISK_FULL', 'E_LOCKED'] as const

function print (p: Printer, result: PeerSyncResult, skipped: SkippedPath[], totalSeconds: number, timeZone = 'UTC'): void {
  const seconds = { fetch: round3(result.fetchSeconds), total: round3(totalSeconds) }
  const rate = result.fetchSeconds > 0 && result.fetched.bytes > 0 ? ` in ${seconds.fetch} s (${formatRate(result.fetched.bytes / result.fetchSeconds)})` : ''
  printResult(p, {
    complete: result.complete,
    fetched: result.fetched,
    sent: result.sent,
    peers: result.peers,
    asked: result.perPeer.map((peer) => peer.name),
    conflicts: result.conflicts,
    // what each ref did: created, fast-forward, ahead of a peer's, delivered (a serve took ours), ...
    refs: result.refs,
    missing: result.missing.length,
    missingBytes: result.missingBytes,
    missingPaths: result.missingPaths,
    accessDenied: result.accessDenied,
    dropped: result.dropped,
    ownProcesses: result.ownProcesses,
    trackers: result.trackers,
    checkout: result.checkout,
    merge: result.merge,
    queued: result.queued,
    heldForWindow: result.heldForWindow,
    lockedChanges: result.lockedChanges,
    routes: result.routes,
    skipped,
    historyLeftOut: result.historyLeftOut,
    rejected: result.rejected,
    seconds,
    locks: syncLocksJson(result),
    error: result.incomplete
  },
  () => [
    `${result.peers} peer(s) (${result.perPeer.map((peer) => peer.name).join(', ')}); fetched ${result.fetched.objects} objects (${formatBytes(result.fetched.bytes)})${rate}, sent ${result.sent.objects} (${formatBytes(result.sent.bytes)})`,
    ...result.routes.map((r) => `  ${r.member === undefined ? '' : `${r.member} `}via ${r.transport} ${r.type}: ${r.local} -> ${r.remote}`),
    // a diverged ref is said by its conflict line below ("conflict" alone read as a file conflict, even when the merge was clean)
    ...result.refs.filter((r) => r.action !== 'up-to-date' && r.action !== 'conflict').map((r) => `  ${r.ref}: ${refLine(r)}`),
    ...result.conflicts.map((c) => `  ${c.ref} diverged from ${c.peer}: theirs recorded as ${c.remoteRef}`),
    ...result.rejected.map((r) => `  ${r.ref} from ${r.peer} refused: ${r.code}: ${r.message}`),
    ...(result.merge === null ? [] : [result.merge.error !== null ? `  not merged: ${result.merge.error}` : result.merge.same === true && result.merge.version !== null ? `  ${result.merge.from} is the same merge as ours: ${result.merge.version.slice(0, 12)} kept, no new version` : result.merge.version !== null ? `  merged ${result.merge.from} as ${result.merge.version.slice(0, 12)}` : `  merging ${result.merge.from}: ${result.merge.conflicts.length} conflict(s), see \`gas conflicts\``]),
    ...(result.queued.items > 0 ? [`  ${result.queued.items} asset(s) (${formatBytes(result.queued.bytes)}) queued for the next transfer window: see \`gas queue plan\`; \`gas serve\` fetches them when it opens`] : []),
    // no version moves without its files: ours stays here too, and the line says so (it said nothing)
    ...result.heldForWindow.map((h) => `  ${h.ref}: yours and ${h.peer}'s differ; versions move with their files, in a transfer window (\`gas schedule show\`)`),
    ...(result.checkout !== null ? [`  workspace now at ${result.checkout.version.slice(0, 12)}: ${result.checkout.written.length} written, ${result.checkout.removed.length} removed, ${result.checkout.skipped.length} skipped`] : []),
    ...skippedLines(skipped),
    // said by the sync that moved the workspace to a new version, not by every one after (--json: always)
    ...(result.historyLeftOut.files > 0 && result.checkout !== null ? [`  older versions of ${result.historyLeftOut.files} file(s) (${formatBytes(result.historyLeftOut.bytes)}) stay on the peers: \`gas restore PATH --version REV\` fetches one, \`gas sync history all\` keeps every version here`] : []),
    ...(result.checkout?.conflicts ?? []).map((c) => `  CONFLICT ${c.path}: changed by the peer, and ${c.local === 'staged' ? 'staged' : 'edited'} here; your file is kept, see \`gas conflicts\``),
    ...syncLocksLines(result, timeZone),
    ...lockedChangeLines(result),
    ...result.dropped.map((d) => `  dropped ${d.peer}: ${d.code}: ${d.message}`),
    // not said: connections to this member's own `gas serve` (--json: ownProcesses); a serve beside the sync is the usual set-up, and the line came with every sync
    ...deniedLines(result),
    ...(result.complete ? [] : [`  incomplete: ${result.missing.length} object(s) missing (see the error below)`])
  ].join('\n'))
}

/** Assets a peer refused (its read rights): named, so the member knows what they do not have and why. */
function deniedLines (result: PeerSyncResult): string[] {
  const denied = result.accessDenied
  if (denied.length === 0) return []
  const peers = [...new Set(denied.flatMap((d) => d.peers))].sort().join(', ')
  const shown = denied.slice(0, PATHS_IN_MESSAGE).map((d) => `    ${d.path}`)
  const more = denied.length > PATHS_IN_MESSAGE ? [`    and ${denied.length - PATHS_IN_MESSAGE} more (see --json)`] : []
  return [`  E_ACCESS_DENIED: ${denied.length} asset(s) refused by ${peers} (your roles may not read them; the rest synced):`, ...shown, ...more]
}

/** E_NO_PEERS where only this member's own processes answered, and one is this workspace's serve: said so, rather than "start `gas serve`" */
async function besideOwnServe (ws: Workspace, err: unknown): Promise<unknown> {
  if (!isGasError(err, 'E_NO_PEERS') || !(Number(err.data.ownProcesses ?? 0) > 0)) return err
  const note = await ownServeNote(ws.fs, ws.gasDir)
  if (note === undefined) return err
  const message = err.message.endsWith(`; ${START_SERVE_HINT}`) ? err.message.slice(0, -START_SERVE_HINT.length - 2) : err.message
  return new GasError('E_NO_PEERS', `${message}; ${note}`, { ...err.data, ownServe: true })
}

/** The document of a sync that found no peer: the same shape, with what each tracker answered. */
function printNoPeers (p: Printer, err: GasError, totalSeconds: number): void {
  const trackers = (err.data.trackers ?? []) as TrackerReport[]
  printResult(p, {
    complete: false,
    fetched: { objects: 0, bytes: 0 },
    sent: { objects: 0, bytes: 0 },
    peers: 0,
    asked: [],
    conflicts: [],
    missing: 0,
    trackers,
    seconds: { fetch: 0, total: round3(totalSeconds) },
    error: err.toJSON()
  }, () => trackers.map((t) => `  tracker ${t.tracker}: ${t.answer} (${t.detail})`).join('\n'))
}

/**
 * Each skipped path on a line, but of those the rules leave out (a new member's first sync may skip
 * thousands: every asset of the other roles) only the first few: the rest are counted.
 */
function skippedLines (skipped: SkippedPath[]): string[] {
  const byRules = skipped.filter((s) => s.reason === 'selective-sync')
  const shown = new Set(byRules.slice(0, PATHS_IN_MESSAGE))
  const lines = skipped.filter((s) => s.reason !== 'selective-sync' || shown.has(s)).map((s) => `  skipped ${s.path}: ${withoutPath(s)}`)
  const more = byRules.length - shown.size
  return more > 0 ? [...lines, `  and ${more} more your rules leave on the peers (\`gas ls\` marks them "not fetched"; --json lists every one)`] : lines
}

/** What a sync did with a ref, for a person: ahead of a peer says whether that peer took it (a serve does), moved on meanwhile, or gets it when it syncs. */
export function refLine (r: PeerSyncResult['refs'][number]): string {
  if (r.action === 'delivered') return `${peerOfRemoteRef(r.remoteRef)} took it (ahead of theirs)`
  if (r.action === 'ahead') return `ahead of ${peerOfRemoteRef(r.remoteRef)}'s (they get it when they sync)`
  if (r.action === 'taken-into') return `${peerOfRemoteRef(r.remoteRef)} took it into a merge of theirs, and you are at that merge now`
  if (r.action === 'moved') return `${peerOfRemoteRef(r.remoteRef)}'s moved meanwhile (took yours into a merge, or other work first): your next sync brings it`
  return r.action
}

/** `refs/remotes/<peer>/heads/main` → the peer's name */
function peerOfRemoteRef (remoteRef: string): string {
  return remoteRef.split('/')[2] ?? 'the peer'
}

/** A detail that starts with its path (the rule explanations do) need not say it twice on the line. */
function withoutPath (s: SkippedPath): string {
  return s.detail.startsWith(`${s.path} `) ? s.detail.slice(s.path.length + 1) : s.detail
}

function round3 (n: number): number {
  return Math.round(n * 1000) / 1000
}

export function register (program: Command): void {
  program.command('sync').description('exchange versions with reachable team peers and fetch wanted content')
    .option('--tracker <url>', 'tracker URL (repeatable; default: the workspace\'s)', collect, [])
    .option('--peer <host:port>', 'direct (TLS) address of a team peer to try besides the workspace\'s (repeatable)', collect, [])
    .option('--once', 'return when done (default: sync again every 30 s until interrupted)').option('--json', 'print JSON: one document with --once, else one JSON line per round')
    .action(action(async (p, opts: { tracker: string[], peer: string[], once?: boolean }) => {
      const stop = new AbortController()
      if (opts.once !== true) {
        process.once('SIGINT', () => stop.abort())
        process.once('SIGTERM', () => stop.abort())
      }
      let retryMs = RETRY_FIRST_MS
      let lastWait = ''
      let toldRepeat = false
      // why: without --once every round prints its document; one per line keeps stdout readable as JSON lines, as serve's events are
      const out: Printer = opts.once === true || !p.json ? p : { ...p, out: (text) => p.out(JSON.stringify(JSON.parse(text))) }
      // the peer layer loads (~0.2 CPU s of modules) while the workspace and its rules are read
      const loading = peerNode()
      loading.catch(() => {}) // awaited below; a failure surfaces there
      for (;;) {
        const started = performance.now()
        const bar = p.json ? undefined : progressBar()
        // without a bar (a log, a script): a serve's turn we wait for is said once, not left as silence
        let toldTurn = false
        const onProgress = (prog: SyncProgress): void => {
          bar?.update(prog)
          const wait = prog.waiting?.[0]
          if (bar !== undefined || p.json || wait === undefined || toldTurn) return
          toldTurn = true
          p.err(`waiting: ${wait.peer} takes ${wait.ahead} other member(s)' versions first; yours next`)
        }
        let failure: GasError | null = null
        try {
          const result = await withWorkspace(async (ws) => {
            checkPeerOptions(ws, { tracker: opts.tracker, peer: opts.peer })
            const rules = await selectiveSyncOptions(ws)
            const warn = (text: string | null): void => { if (text !== null) p.err(`gas: warning: ${text}`) }
            warn(rules.notice)
            // a `.gasrules` (or a role) this sync brings is taken up by the sync itself: what it wants comes in the same run
            const synced = await (await loading).syncWithPeers({
              ws, trackers: opts.tracker, peers: opts.peer, security: peerSecurity(ws), locks: lockExchangeOf(ws), aloneWaitMs: ALONE_WAIT_MS, onProgress,
              wantContent: rules.wantContent, policyKey: rules.policyKey, contentOfHistory: rules.contentOfHistory, reloadPolicy: rules.reloadPolicy
            }).catch(async (err: unknown) => { throw await besideOwnServe(ws, err) })
            traceMark('sync: peers done')
            warn(synced.policyNotice)
            const skipped = await skippedPaths(ws, synced)
            traceMark('sync: skipped listed')
            return { synced, skipped, timeZone: ws.config.timeZone }
          })
          bar?.stop(result.synced.complete)
          print(out, result.synced, result.skipped, (performance.now() - started) / 1000, result.timeZone)
          traceMark('sync: printed')
          if (result.synced.incomplete !== null) failure = new GasError(result.synced.incomplete.code, result.synced.incomplete.message, result.synced.incomplete.data)
        } catch (err) {
          bar?.stop()
          if (isGasError(err, 'E_NO_PEERS')) printNoPeers(out, err, (performance.now() - started) / 1000)
          else if (opts.once === true || !WAITED_OUT.some((code) => isGasError(err, code))) throw err
          failure = err as GasError
        }
        if (opts.once === true || stop.signal.aborted) {
          if (failure !== null) throw failure
          return
        }
        // what the loop waits for, said once per change rather than on every try
        const waitMs = failure === null ? REPEAT_MS : retryMs
        const waitFor = failure === null ? '' : `waiting: ${failure.code}: ${failure.message}`
        // a full disk names the pack each try wrote: the same condition, said once
        const waitKey = failure?.code === 'E_DISK_FULL' ? failure.code : waitFor
        if (waitKey !== '' && waitKey !== lastWait) p.err(`${waitFor}; trying again, first in ${Math.round(waitMs / 1000)} s`)
        // a user who typed `gas sync` and sees it sit there: it keeps going, and this is how to stop
        if (failure === null && !toldRepeat && !p.json) p.err(`syncing again every ${REPEAT_MS / 1000} s until Ctrl-C (\`gas sync --once\` syncs once and returns)`)
        toldRepeat ||= failure === null
        lastWait = waitKey
        retryMs = failure === null ? RETRY_FIRST_MS : Math.min(REPEAT_MS, retryMs * 2)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs)
          stop.signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
        })
        if (stop.signal.aborted) {
          if (failure !== null) throw failure
          return
        }
      }
    }))
  registerSyncRules(program.commands.find((c) => c.name() === 'sync') as Command)
}
