/**
 * Which kinds get previews, and where. Its own module, with no imports: the CLI decides from these
 * sets without loading the preview layer (sharp, three) for commands and files that need none.
 */

/** Kinds with a generator; any other kind gets no preview object at all. */
export const PREVIEWED_KINDS: ReadonlySet<string> = new Set(['texture', 'model', 'audio', 'video', 'archive', 'build', 'code', 'document', 'engine'])

/**
 * Kinds whose preview of a small file is made in the calling thread. why: a code or text preview is
 * one pass over the bytes with no decoder; a preview worker costs ~0.2 CPU s and ~0.3 s to start,
 * more than the whole preview of a file under IN_THREAD_MAX_BYTES (`gas add` of one script took 0.8 s).
 */
export const IN_THREAD_KINDS: ReadonlySet<string> = new Set(['code', 'document'])
export const IN_THREAD_MAX_BYTES = 1024 * 1024
