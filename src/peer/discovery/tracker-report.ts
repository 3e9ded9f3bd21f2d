import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { request as requestTls } from 'node:https'
import { GasError } from '../../errors.js'

/**
 * What each tracker answered while a command looked for peers, and the `E_NO_PEERS` error built
 * from it: the user learns whether to start the tracker, fix its URL, or start a peer.
 */
export interface TrackerReport {
  tracker: string
  /**
   * `unreachable`: nothing answers at that address; `wrong-url`: the host is unknown or something
   * other than a tracker answers; `no-answer`: connected but no announce answer; `no-other-peer`:
   * it answered and counts no other peer in the team's swarm; `peers-offline`: it counts peers but
   * none connected (or those that answered were refused); `ok`: peers connected through it.
   */
  answer: 'unreachable' | 'wrong-url' | 'no-answer' | 'no-other-peer' | 'peers-offline' | 'ok'
  /** the other peers it counted in its last answer */
  peers?: number
  detail: string
}

/** why: a probe that hangs must not hold the command; a tracker on a working network answers within milliseconds */
export const DIAGNOSE_TIMEOUT_MS = 2_000

/**
 * Finds why a tracker's websocket failed, which the websocket library does not say: opens the
 * same HTTP upgrade request by hand and reports the refusal, unknown host or HTTP status.
 * Hand-written because the cause is all we need and `ws` is not a direct dependency.
 */
export async function diagnoseTracker (url: string, timeoutMs = DIAGNOSE_TIMEOUT_MS): Promise<Pick<TrackerReport, 'answer' | 'detail'>> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { answer: 'wrong-url', detail: 'not a valid URL' }
  }
  const open = parsed.protocol === 'wss:' ? requestTls : request
  return await new Promise((resolve) => {
    const req = open({
      host: parsed.hostname,
      port: parsed.port === '' ? (parsed.protocol === 'wss:' ? 443 : 80) : Number(parsed.port),
      path: `${parsed.pathname}${parsed.search}`,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
      timeout: timeoutMs
    })
    req.once('upgrade', (_res, socket) => {
      socket.destroy()
      resolve({ answer: 'no-answer', detail: 'accepts websocket connections now' })
    })
    req.once('response', (res) => {
      res.resume()
      req.destroy()
      resolve({ answer: 'wrong-url', detail: `answers HTTP ${res.statusCode ?? '?'} instead of a websocket: not a tracker at that URL` })
    })
    req.once('timeout', () => {
      req.destroy()
      resolve({ answer: 'unreachable', detail: `no answer within ${timeoutMs} ms` })
    })
    req.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') resolve({ answer: 'wrong-url', detail: `host ${parsed.hostname} not found` })
      else if (err.code === 'ECONNREFUSED') resolve({ answer: 'unreachable', detail: 'connection refused: is `gas tracker` running there?' })
      else resolve({ answer: 'unreachable', detail: err.code ?? err.message })
    })
    req.end()
  })
}

export function describeTrackers (reports: TrackerReport[]): string {
  if (reports.length === 0) return 'no tracker asked'
  return reports.map((r) => `${r.tracker}: ${r.answer} (${r.detail})`).join('; ')
}

/** A handshake refused over who the peer is (either side refusing): another try or tracker changes nothing. */
export const MEMBERSHIP_REFUSALS: ReadonlySet<string> = new Set(['E_AUTH', 'E_REVOKED', 'E_BAD_SIGNATURE'])

/** the last words of E_NO_PEERS when nothing else explains it (a caller that knows more may put its own in their place) */
export const START_SERVE_HINT = 'start `gas serve` on another member\'s machine'

/** `E_NO_PEERS`: no peer to sync with; `data.trackers` says what each tracker answered. */
export function noPeersError (reports: TrackerReport[], extra: { dropped?: Array<{ peer: string, code: string, message: string }>, ownProcesses?: number } = {}): GasError {
  const dropped = extra.dropped ?? []
  const own = extra.ownProcesses ?? 0
  // why first: peers were there and answered; telling an outsider to start `gas serve` sends it the wrong way
  const hint = dropped.length > 0 && dropped.every((d) => MEMBERSHIP_REFUSALS.has(d.code)) ? 'every peer that answered was refused over team membership: see the reason given for each (ask a lead for an invite: `gas team add`, then `gas team join`)'
    : reports.some((r) => r.answer === 'unreachable') ? 'start the tracker (`gas tracker`) or check the network'
    : reports.some((r) => r.answer === 'wrong-url' || r.answer === 'no-answer') ? 'check the tracker URL (`gas team tracker URL`)'
      : START_SERVE_HINT
  const peers = dropped.length === 0 ? '' : `; peers dropped: ${dropped.map((d) => `${d.peer} (${d.code}: ${d.message})`).join(', ')}`
  // a tracker that counted only our own processes says so itself (connect-peers.ts)
  const ownNote = own === 0 || reports.every((r) => r.answer === 'no-other-peer') ? '' : `; only ${own} process(es) of this same member answered (e.g. its own \`gas serve\`), which do not count as peers`
  return new GasError('E_NO_PEERS', `no peer to sync with: ${describeTrackers(reports)}${ownNote}${peers}; ${hint}`, { trackers: reports, dropped, ownProcesses: own })
}
