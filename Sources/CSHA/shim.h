#ifndef CSHA_SHIM_H
#define CSHA_SHIM_H
/*
 * SHA-256 block function with the x86 SHA extensions (SHA-NI), for LakeIO's SHA256 (lh-pack
 * manifests hash every archived byte). Header only: static inline functions compiled by the
 * Swift compiler's Clang, each with its own target attribute, so the rest of the build needs no
 * special flags; LakeIO calls csha_has_sha_ni() once and falls back to its portable code.
 * The round structure follows Intel's "SHA extensions" white paper (2013).
 */
#include <stdint.h>
#include <stddef.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

static inline int csha_has_sha_ni(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  if (!(b & (1u << 29))) return 0; /* SHA */
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  return (c & (1u << 19)) && (c & (1u << 9)); /* SSE4.1, SSSE3 */
}

/* Hashes `blocks` 64-byte blocks at `data` into state[8] (a..h). */
__attribute__((target("sha,sse4.1,ssse3")))
static inline void csha_blocks(uint32_t *state, const uint8_t *data, size_t blocks) {
  const __m128i MASK = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i TMP = _mm_loadu_si128((const __m128i *)&state[0]);
  __m128i STATE1 = _mm_loadu_si128((const __m128i *)&state[4]);
  TMP = _mm_shuffle_epi32(TMP, 0xB1);          /* CDAB */
  STATE1 = _mm_shuffle_epi32(STATE1, 0x1B);    /* EFGH */
  __m128i STATE0 = _mm_alignr_epi8(TMP, STATE1, 8);    /* ABEF */
  STATE1 = _mm_blend_epi16(STATE1, TMP, 0xF0);         /* CDGH */
  static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  while (blocks--) {
    __m128i ABEF_SAVE = STATE0, CDGH_SAVE = STATE1;
    __m128i MSG, MSG0, MSG1, MSG2, MSG3;
    MSG0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), MASK);
    MSG1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), MASK);
    MSG2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), MASK);
    MSG3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), MASK);
    for (int i = 0; i < 16; i++) {
      /* Rounds 4i … 4i+3 on MSG0; then the schedule rotates MSG0 ← MSG1 ← MSG2 ← MSG3. */
      MSG = _mm_add_epi32(MSG0, _mm_loadu_si128((const __m128i *)&K[4 * i]));
      STATE1 = _mm_sha256rnds2_epu32(STATE1, STATE0, MSG);
      MSG = _mm_shuffle_epi32(MSG, 0x0E);
      STATE0 = _mm_sha256rnds2_epu32(STATE0, STATE1, MSG);
      if (i < 12) {
        /* W[t+16..t+19] from W[t..t+15]: MSG0..MSG3 hold W[t..t+15]. */
        __m128i T = _mm_sha256msg1_epu32(MSG0, MSG1);
        T = _mm_add_epi32(T, _mm_alignr_epi8(MSG3, MSG2, 4));
        T = _mm_sha256msg2_epu32(T, MSG3);
        MSG0 = MSG1; MSG1 = MSG2; MSG2 = MSG3; MSG3 = T;
      } else {
        MSG0 = MSG1; MSG1 = MSG2; MSG2 = MSG3;
      }
    }
    STATE0 = _mm_add_epi32(STATE0, ABEF_SAVE);
    STATE1 = _mm_add_epi32(STATE1, CDGH_SAVE);
    data += 64;
  }
  TMP = _mm_shuffle_epi32(STATE0, 0x1B);       /* FEBA */
  STATE1 = _mm_shuffle_epi32(STATE1, 0xB1);    /* DCHG */
  STATE0 = _mm_blend_epi16(TMP, STATE1, 0xF0); /* DCBA */
  STATE1 = _mm_alignr_epi8(STATE1, TMP, 8);    /* ABEF */
  _mm_storeu_si128((__m128i *)&state[0], STATE0);
  _mm_storeu_si128((__m128i *)&state[4], STATE1);
}
#else
static inline int csha_has_sha_ni(void) { return 0; }
static inline void csha_blocks(uint32_t *state, const uint8_t *data, size_t blocks) {
  (void)state; (void)data; (void)blocks;
}
#endif
#endif
