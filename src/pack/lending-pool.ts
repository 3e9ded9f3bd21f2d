import { BufferPool } from '../objects/buffer-pool.js'

/**
 * A BufferPool that also takes loans: a pack read may hand out a view of its read-ahead window
 * instead of a copy, and gets it back when the borrower gives the view to this pool. why: the
 * serving side copied every byte it sent out of the window into a pool buffer, then again into
 * the socket's output buffer; the first copy is not needed when the frame is encoded from the
 * window itself.
 */
export class LendingPool extends BufferPool {
  /** views lent, with what gives each back; weak: a view dropped unreturned (a closed session) costs nothing */
  readonly #lent = new WeakMap<Uint8Array, () => void>()

  /** Records that `view` is lent: `giveBack` runs when it is given to this pool. */
  lend (view: Uint8Array, giveBack: () => void): Uint8Array {
    this.#lent.set(view, giveBack)
    return view
  }

  override give (view: Uint8Array): void {
    const giveBack = this.#lent.get(view)
    if (giveBack === undefined) return super.give(view)
    // once: a view given twice must not release its window twice
    this.#lent.delete(view)
    giveBack()
  }
}
