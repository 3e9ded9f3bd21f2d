/**
 * Caps that keep a preview bounded in time and memory whatever a file's header claims. Every
 * decoder checks these before it allocates.
 */

/** Long side of a thumbnail unless the caller asks for less; previews sync first, so they stay small. */
export const DEFAULT_THUMBNAIL_SIZE = 512
export const MAX_THUMBNAIL_SIZE = 512

/** sharp's own default (16384²): above it a header is lying or the image is beyond a preview's budget. */
export const MAX_IMAGE_PIXELS = 16384 * 16384

/**
 * Our own decoders (TGA, DDS, PSD) build a full RGBA buffer for sharp to downscale: 8192² is
 * 256 MiB, the most we let a preview hold. DDS usually escapes it by decoding a smaller mip.
 */
export const MAX_DECODE_PIXELS = 8192 * 8192

/**
 * FBX and glTF parsers need the whole file (three's loaders take one ArrayBuffer, and parse into
 * structures several times its size). 512 MiB is far beyond the models a game team previews;
 * above it we report E_NO_PREVIEW rather than let one asset take the process's memory.
 */
export const MAX_MODEL_BYTES = 512 * 1024 * 1024

/** Block size of streaming readers: large enough for throughput, small enough to never matter. */
export const READ_BLOCK_BYTES = 1024 * 1024

/** WAV preview clip: the first seconds, mono, at a rate a phone speaker reproduces fine. */
export const CLIP_SECONDS = 10
export const CLIP_SAMPLE_RATE = 8000

/** Waveform image size (width = columns of min/max envelope). */
export const WAVEFORM_WIDTH = 512
export const WAVEFORM_HEIGHT = 128

/** A zip central directory larger than this is not something a preview should walk. */
export const MAX_ZIP_DIRECTORY_BYTES = 64 * 1024 * 1024
/** Entries listed in an archive preview; the count and totals still cover every entry. */
export const MAX_LISTED_ENTRIES = 1000
