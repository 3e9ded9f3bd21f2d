import { isGasError } from '../../errors.js'
import type { ObjectStore } from '../../objects/store.js'
import type { RefStore } from '../../refs/ref-store.js'
import { systemClock, type Clock } from '../../clock.js'
import { takeLocksFrom, type LockExchange } from './lock-exchange.js'
import { isAdvertisedRef, type RemoteRef } from './ref-exchange.js'
import { PeerSession, asGasError, randomIdentity } from '../session/session.js'
import { isOwnProcess, OWN_PROCESS_CLOSE_MS } from './open-sessions.js'
import type { Transport } from '../transport/transport.js'
import { traceMark } from '../../trace.js'
import type { PeerSecurity } from './sync-engine.js'

export interface ServeOptions extends PeerSecurity {
  store: ObjectStore
  refs: RefStore
  transport: Transport
  clock?: Clock
  /** adopt the lock records of the member syncing with us before saying we are done */
  locks?: LockExchange
  /**
   * Given the refs the remote advertised last, once it is done, and ours as we advertised them
   * when it connected: true when it took them (fetched
   * what it wanted and said done itself, in this session), false to say done now. A serve takes
   * the versions a member that connects has ahead of it (serve-pull.ts).
   */
  pull?: (session: PeerSession, theirs: RemoteRef[], ours: RemoteRef[]) => Promise<boolean>
}

/**
 * `gas serve` for one connection: handshake, advertise our refs, say we want nothing, then serve
 * the remote's WANTs until it closes. Resolves with the open session (close it to stop serving).
 */
export async function serveRepo (opts: ServeOptions): Promise<PeerSession> {
  const clock = opts.clock ?? systemClock
  const identity = opts.identity ?? randomIdentity(opts.peerName ?? 'gas')
  traceMark('serve: connection')
  const session = await PeerSession.open({
    transport: opts.transport,
    store: opts.store,
    identity,
    clock,
    sign: opts.sign,
    verify: opts.verify,
    mayServe: opts.mayServe
  })
  if (isOwnProcess(session, identity)) {
    // our own sync or serve: it has everything we have. It closes its side once its handshake is
    // done; closing first would race that (it would see a lost peer, not its own process, and
    // wait for it as for any counted peer), so it gets OWN_PROCESS_CLOSE_MS to do so
    const cancel = clock.after(OWN_PROCESS_CLOSE_MS, () => session.close())
    session.onClose(() => cancel())
    return session
  }
  try {
    traceMark('serve: hello done')
    const ours = (await opts.refs.list()).filter((ref) => isAdvertisedRef(ref.name))
    await session.advertiseRefs(ours)
    traceMark('serve: refs advertised')
    if (opts.locks !== undefined) await takeLocksFrom(session, opts.refs, opts.store, opts.locks, clock)
    // resolved now: the session serves the remote while we take what it has
    if (opts.pull !== undefined) void pullOrDone(session, opts.pull, ours)
    else await session.sendDone()
  } catch (err) {
    if (!isGasError(err, 'E_PEER_LOST')) session.close(asGasError(err))
  }
  return session
}

/**
 * Once the remote is done with its own sync (its DONE: it fetched from us, merged, and advertised
 * its refs again), lets `pull` take what it has that we lack, else says done at once. why after
 * its DONE: a member's sync merges a branch that diverged from ours before it is done, so what we
 * take is its merge, a fast-forward here; taking its branch before would have us merge too, and two
 * merges of the same pair are two new versions, diverged again at the next sync.
 */
async function pullOrDone (session: PeerSession, pull: NonNullable<ServeOptions['pull']>, ours: RemoteRef[]): Promise<void> {
  try {
    await new Promise<void>((resolve) => {
      if (session.remoteDone || session.closed) return resolve()
      session.onRemoteDone(resolve)
      session.onClose(() => resolve())
    })
    if (session.closed) return
    if (await pull(session, session.remoteRefs ?? [], ours)) return
    await session.sendDone()
  } catch (err) {
    if (!isGasError(err, 'E_PEER_LOST')) session.close(asGasError(err))
  }
}
