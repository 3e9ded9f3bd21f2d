import type { Workspace } from '../../repo/workspace.js'
import { recordPeerSchedule, type ScheduleSettings } from '../../schedule/schedule-settings.js'
import { checkSchedule, nextChange, rateAt } from '../../schedule/schedule.js'
import type { HelloSchedule } from '../wire/messages.js'
import type { PeerSession } from '../session/session.js'
import type { RefStore } from '../../refs/ref-store.js'

/**
 * Members tell each other their transfer windows in HELLO: the receiver plans with the sender's
 * windows (`gas queue plan`) and leaves content for later when no connected peer may send now.
 */

/** What we say of our schedule in HELLO; nothing when we have no windows (no limit to tell). */
export function helloScheduleOf (settings: ScheduleSettings): HelloSchedule | undefined {
  if (settings.windows.length === 0 && settings.limit === undefined && settings.outsideLimit === undefined) return undefined
  return { windows: settings.windows.map((w) => w.text), ...(settings.limit !== undefined ? { limit: settings.limit } : {}), ...(settings.outsideLimit !== undefined ? { outsideLimit: settings.outsideLimit } : {}) }
}

/** Remembers the schedule each peer told (a schedule that does not parse is ignored: the peer plans as unlimited). */
export async function rememberPeerSchedules (ws: Workspace, sessions: PeerSession[]): Promise<void> {
  for (const session of sessions) {
    const told = session.remote?.schedule
    if (told === undefined) continue
    try {
      await recordPeerSchedule(ws, session.name, checkSchedule(told))
    } catch {
      // a peer's bad schedule changes nothing here
    }
  }
}

/** True when every connected peer told a schedule that allows it no content transfer at `at`. */
export function noPeerMaySend (sessions: PeerSession[], at: number): boolean {
  return sessions.length > 0 && sessions.every((session) => peerWindowClosed(session, at) !== undefined)
}

/**
 * When a peer that told a schedule sends no content at `at`: its windows as it wrote them, and
 * the instant it may next (null: no window opens). undefined when it may send now (or told none).
 */
export function peerWindowClosed (session: PeerSession, at: number): { windows: string[], opens: number | null } | undefined {
  const told = session.remote?.schedule
  if (told === undefined) return undefined
  try {
    const schedule = checkSchedule(told)
    if (rateAt(schedule, at) > 0) return undefined
    return { windows: told.windows, opens: nextChange(schedule, at) ?? null }
  } catch {
    return undefined
  }
}

/** A branch of ours a peer has another value of, left as it is because the files wait for a transfer window. */
export interface HeldRef { ref: string, peer: string }

/**
 * With content held for a window no ref moves either way (a version is adopted with its files):
 * our branches whose value a peer (of `peers`, by name) advertised otherwise, so the sync can say
 * that work waits, where it said nothing of ours before.
 */
export async function refsHeldForWindow (refs: RefStore, sessions: PeerSession[], peers: readonly string[]): Promise<HeldRef[]> {
  const ours = (await refs.list()).filter((ref) => ref.name.startsWith('refs/heads/'))
  const held: HeldRef[] = []
  for (const session of sessions) {
    if (!peers.includes(session.name) || session.remoteRefs === undefined) continue
    const theirs = new Map(session.remoteRefs.map((ref) => [ref.name, ref.id]))
    for (const ref of ours) if (theirs.get(ref.name) !== ref.id) held.push({ ref: ref.name, peer: session.name })
  }
  return held
}
