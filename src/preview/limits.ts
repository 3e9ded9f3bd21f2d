/**
 * Caps that keep a preview bounded in time and memory whatever a file's header claims. Every
 * decoder checks these before it allocates.
 */

/**
 * Long side of a thumbnail unless the caller asks for another size (up to MAX_THUMBNAIL_SIZE).
 * Previews sync to every peer before any content, so their total must stay a small fraction of
 * the project: 256 px is enough to recognise an asset and costs a few KB as lossy WebP.
 */
export const DEFAULT_THUMBNAIL_SIZE = 256
export const MAX_THUMBNAIL_SIZE = 512

/**
 * Thumbnails and model renders are lossy WebP. Quality 85 (alpha too) with sharp YUV conversion
 * (smartSubsample) keeps fixture thumbnails above 36 dB PSNR against a reference downscale at
 * 2–4 KB for 256 px. Effort 2, not libwebp's default 4: a 256-px thumbnail encodes in ~5 ms
 * instead of ~10 ms (every asset of a `gas add` pays it) for ~5% more bytes and 0.2 dB less;
 * smartSubsample stays, since without it the fixtures fall to 35 dB.
 */
export const THUMBNAIL_WEBP = { quality: 85, alphaQuality: 85, smartSubsample: true, effort: 2 } as const

/**
 * Model renders: the same without sharp YUV. A render is near-grey shading on a transparent
 * background, where sharp YUV has no saturated colour edge to save: on the mock project's renders
 * it changed PSNR by under 0.2 dB either way, and it is most of the encoder's time (~7 → ~3 ms
 * per 256-px render; a `gas add` of a model-heavy project pays it per model).
 */
export const RENDER_WEBP = { quality: 85, alphaQuality: 85, smartSubsample: false, effort: 2 } as const

/**
 * A thumbnail of at most this many pixels (64²) — an icon, a sprite, pixel art — is stored as
 * lossless WebP when that takes at most TINY_LOSSLESS_MAX_BYTES: lossy WebP's 4:2:0 chroma and
 * block transform smear such images visibly, and exact pixels cost only a few hundred bytes there.
 */
export const TINY_THUMBNAIL_PIXELS = 64 * 64
export const TINY_LOSSLESS_MAX_BYTES = 4 * 1024

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

/**
 * WAV preview clip: the opening of the sound, mono, 8 kHz, 8-bit unsigned PCM (a plain WAV any
 * player opens; 8000 bytes a second), at most CLIP_SECONDS long.
 */
export const CLIP_SECONDS = 10
export const CLIP_SAMPLE_RATE = 8000
/** Floor of the clip budget: half a second at 8 kHz, so even a short sound effect can be heard. */
export const CLIP_MIN_BYTES = 4096
/** Share of the asset's own size a clip may take beyond the floor. */
export const CLIP_ASSET_FRACTION = 0.01

/**
 * Most bytes (WAV header included) a preview clip of an asset of `assetBytes` may take:
 * max(4 KiB, 1% of the asset). Previews sync to every peer before any content, for every asset,
 * so they must stay a small fraction of the content they describe; a clip is the largest part of
 * a preview, so it is bounded by its asset rather than by a fixed duration alone. The clip is
 * shortened (never resampled below 8 kHz) to fit.
 */
export function clipBudgetBytes (assetBytes: number): number {
  return Math.max(CLIP_MIN_BYTES, Math.floor(CLIP_ASSET_FRACTION * assetBytes))
}

/**
 * Budget of a preview's image (thumbnail, model render or waveform) at the default size. Lossy
 * WebP of a 256-px thumbnail is typically 3–10 KB; this cap is what tests hold every fixture to.
 */
export const IMAGE_BUDGET_BYTES = 16 * 1024

/** Waveform image size (width = columns of min/max envelope); a 4-colour palette PNG of ~1–3 KB. */
export const WAVEFORM_WIDTH = 256
export const WAVEFORM_HEIGHT = 48

/** A zip central directory larger than this is not something a preview should walk. */
export const MAX_ZIP_DIRECTORY_BYTES = 64 * 1024 * 1024
/** Entries listed in an archive preview; the count and totals still cover every entry. */
export const MAX_LISTED_ENTRIES = 1000
