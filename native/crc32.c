/*
 * CRC-32 (zlib's, IEEE) as pack indexes hold it (entry-checksum.ts), by carry-less multiplication:
 * Intel's folding ("Fast CRC Computation Using PCLMULQDQ", 2009) as zlib's crc32_simd.c has it, and
 * the same on 512-bit registers (VPCLMULQDQ). Fold constants: x^(d±32) mod P, bit-reflected
 * (computed; zlib's four checked against them). why: node's zlib computes crc32 here with its
 * tables (~6.7 GB/s, 0.16 CPU s of a 1 GiB restore). At load the folds are checked against the
 * table on many lengths; without the instructions, or if a check fails, the table is used.
 */
#include <stddef.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

static uint32_t table[256];

static uint32_t crc32_table (uint32_t state, const unsigned char *p, size_t n) {
  while (n-- > 0) state = table[(state ^ *p++) & 0xff] ^ (state >> 8);
  return state;
}

#if defined(__x86_64__)
#define TARGET_SSE __attribute__((target("pclmul,sse4.1")))
#define TARGET_AVX512 __attribute__((target("pclmul,sse4.1,avx512f,avx512vl,vpclmulqdq")))

/* fold 128 bits by 128 bits forward (k3k4), and the reduction of the last 128 bits to 32 */
TARGET_SSE static inline __m128i fold16 (__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

TARGET_SSE static uint32_t reduce128 (__m128i x1, const unsigned char *p, size_t *n) {
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  while (*n >= 16) {
    x1 = _mm_xor_si128(fold16(x1, k3k4), _mm_loadu_si128((const __m128i *)p));
    p += 16;
    *n -= 16;
  }
  __m128i x2 = _mm_clmulepi64_si128(x1, k3k4, 0x10);
  const __m128i mask = _mm_setr_epi32(~0, 0, ~0, 0);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
  const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
  x2 = _mm_srli_si128(x1, 4);
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, mask), k5, 0x00), x2);
  const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
  x2 = _mm_and_si128(x1, mask);
  x2 = _mm_clmulepi64_si128(x2, poly, 0x10);
  x2 = _mm_and_si128(x2, mask);
  x2 = _mm_clmulepi64_si128(x2, poly, 0x00);
  x1 = _mm_xor_si128(x1, x2);
  return (uint32_t)_mm_extract_epi32(x1, 1);
}

/* n >= 64: four 128-bit lanes folded 64 bytes forward at a time */
TARGET_SSE static uint32_t crc32_sse (uint32_t state, const unsigned char *p, size_t n) {
  const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
  __m128i x1 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)state));
  __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 16));
  __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 32));
  __m128i x4 = _mm_loadu_si128((const __m128i *)(p + 48));
  p += 64;
  n -= 64;
  while (n >= 64) {
    x1 = _mm_xor_si128(fold16(x1, k1k2), _mm_loadu_si128((const __m128i *)p));
    x2 = _mm_xor_si128(fold16(x2, k1k2), _mm_loadu_si128((const __m128i *)(p + 16)));
    x3 = _mm_xor_si128(fold16(x3, k1k2), _mm_loadu_si128((const __m128i *)(p + 32)));
    x4 = _mm_xor_si128(fold16(x4, k1k2), _mm_loadu_si128((const __m128i *)(p + 48)));
    p += 64;
    n -= 64;
  }
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  x1 = _mm_xor_si128(fold16(x1, k3k4), x2);
  x1 = _mm_xor_si128(fold16(x1, k3k4), x3);
  x1 = _mm_xor_si128(fold16(x1, k3k4), x4);
  size_t left = n;
  state = reduce128(x1, p, &left);
  return crc32_table(state, p + (n - left), left);
}

TARGET_AVX512 static inline __m512i fold64 (__m512i x, __m512i k, __m512i next) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11), next, 0x96);
}

/* n >= 256: sixteen 128-bit lanes in four 512-bit registers, folded 256 bytes forward at a time */
TARGET_AVX512 static uint32_t crc32_avx512 (uint32_t state, const unsigned char *p, size_t n) {
  const __m512i k256 = _mm512_broadcast_i32x4(_mm_set_epi64x(0x01322d1430, 0x011542778a));
  const __m512i k64 = _mm512_broadcast_i32x4(_mm_set_epi64x(0x01c6e41596, 0x0154442bd4));
  __m512i x0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_inserti32x4(_mm512_setzero_si512(), _mm_cvtsi32_si128((int)state), 0));
  __m512i x1 = _mm512_loadu_si512(p + 64);
  __m512i x2 = _mm512_loadu_si512(p + 128);
  __m512i x3 = _mm512_loadu_si512(p + 192);
  p += 256;
  n -= 256;
  while (n >= 256) {
    x0 = fold64(x0, k256, _mm512_loadu_si512(p));
    x1 = fold64(x1, k256, _mm512_loadu_si512(p + 64));
    x2 = fold64(x2, k256, _mm512_loadu_si512(p + 128));
    x3 = fold64(x3, k256, _mm512_loadu_si512(p + 192));
    p += 256;
    n -= 256;
  }
  x0 = fold64(x0, k64, x1);
  x0 = fold64(x0, k64, x2);
  x0 = fold64(x0, k64, x3);
  while (n >= 64) {
    x0 = fold64(x0, k64, _mm512_loadu_si512(p));
    p += 64;
    n -= 64;
  }
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  __m128i a = _mm512_extracti32x4_epi32(x0, 0);
  a = _mm_xor_si128(fold16(a, k3k4), _mm512_extracti32x4_epi32(x0, 1));
  a = _mm_xor_si128(fold16(a, k3k4), _mm512_extracti32x4_epi32(x0, 2));
  a = _mm_xor_si128(fold16(a, k3k4), _mm512_extracti32x4_epi32(x0, 3));
  size_t left = n;
  state = reduce128(a, p, &left);
  return crc32_table(state, p + (n - left), left);
}
#endif

#if defined(__x86_64__)
static unsigned xcr0 (void) {
  unsigned lo, hi;
  __asm__ volatile ("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
  return lo;
}
#endif

static int level; /* 0 table, 1 PCLMULQDQ, 2 VPCLMULQDQ */

uint32_t gas_crc32 (const unsigned char *p, size_t n) {
  uint32_t state = 0xffffffffu;
#if defined(__x86_64__)
  if (level == 2 && n >= 256) return ~crc32_avx512(state, p, n);
  if (level >= 1 && n >= 64) return ~crc32_sse(state, p, n);
#endif
  return ~crc32_table(state, p, n);
}

/* the table, the CPU's instructions, and the folds checked against the table on lengths that take every path */
void gas_crc32_init (void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
#if defined(__x86_64__)
  /* why cpuid by hand: __builtin_cpu_supports links ~4.5 KB of libgcc into the addon (issue 19's size floor) */
  unsigned a, b, c, d;
  int sse = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_PCLMUL) && (c & bit_SSE4_1);
  /* AVX-512 needs the OS to save its registers too (XCR0: SSE, AVX, opmask and both ZMM halves) */
  int os_avx512 = sse && (c & bit_OSXSAVE) && (xcr0() & 0xe6) == 0xe6;
  int avx512 = os_avx512 && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX512F) && (b & bit_AVX512VL) && (c & bit_VPCLMULQDQ);
  static unsigned char sample[1500];
  uint32_t seed = 2463534242u;
  for (size_t i = 0; i < sizeof sample; i++) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    sample[i] = (unsigned char)seed;
  }
  for (int want = avx512 ? 2 : sse ? 1 : 0; want > 0; want--) {
    level = want;
    int good = 1;
    for (size_t n = 0; n <= sizeof sample && good; n += n < 600 ? 1 : 97) {
      for (size_t at = 0; at < 3 && good; at++) {
        if (at + n > sizeof sample) break;
        good = gas_crc32(sample + at, n) == ~crc32_table(0xffffffffu, sample + at, n);
      }
    }
    if (good) return;
  }
  level = 0;
#endif
}

int gas_crc32_level (void) {
  return level;
}
