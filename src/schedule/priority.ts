/**
 * The order queued content is fetched in (README "Priorities"). Metadata and previews never queue:
 * they go first, outside windows too, within their own small budget. Of the content:
 *   1. `waiting`  — someone asked for it (`gas fetch`, `gas restore` of an unfetched asset,
 *                   `gas queue prioritize PATH`)
 *   2. `deadline` — needed by a time (`gas queue prioritize PATH --by ISO-TIME`), earliest first
 *   3. `role`     — content the member's role wants
 *   4. `other`    — everything else the rules want
 * and within a class smaller before larger, so many small assets are not held up by one big one.
 */
export const QUEUE_CLASSES = ['waiting', 'deadline', 'role', 'other'] as const
export type QueueClass = typeof QUEUE_CLASSES[number]

export interface Prioritised { class: QueueClass, bytes: number, deadline?: string, id: string }

export function compareQueued (a: Prioritised, b: Prioritised): number {
  const byClass = QUEUE_CLASSES.indexOf(a.class) - QUEUE_CLASSES.indexOf(b.class)
  if (byClass !== 0) return byClass
  if (a.class === 'deadline') {
    const byDeadline = Date.parse(a.deadline ?? '') - Date.parse(b.deadline ?? '')
    if (byDeadline !== 0 && !Number.isNaN(byDeadline)) return byDeadline
  }
  return a.bytes - b.bytes || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** The more urgent of two classes (an item asked for twice keeps the stronger claim). */
export function strongerClass (a: QueueClass, b: QueueClass): QueueClass {
  return QUEUE_CLASSES.indexOf(a) <= QUEUE_CLASSES.indexOf(b) ? a : b
}
