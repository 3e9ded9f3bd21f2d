import type { ErrorCode } from '../../src/errors.js'
export { BlockAssembler, decodeMessage, encodeMessage, fragmentBlock, type BlockMessage, type Message } from '../../src/peer/wire/messages.js'

/** what a hostile frame may decode to */
export const MAX_FRAME_FUZZ_CODES: readonly ErrorCode[] = ['E_FRAME_LENGTH', 'E_PROTOCOL', 'E_PROTOCOL_VERSION']
