// Batched field multiplication for the MSM's batch-affine additions: out[i] = a[i]·b[i] over many independent
// pairs, and Montgomery batch inversion.
//
// Why: the scalar Montgomery product (field.hpp, mulx/adcx/adox) is a latency-bound chain of ~70 dependent
// instructions, ~17–22 ns here. Batch-affine MSM spends ~6 products per point addition on arrays of independent
// pairs, so it can use AVX-512 IFMA (vpmadd52lo/hi: eight 52×52-bit products per instruction, two per cycle on
// the CPUs that have it): 8 lanes, 5 limbs of 52 bits, about 2–3 ns per product.
//
// Representation. Field elements stay in the engine's form everywhere else (4×64-bit limbs, Montgomery with
// R = 2^256, canonical). Inside a batch product they are converted to radix 2^52. A radix-2^52 Montgomery product
// divides by 2^260 rather than 2^256, so the right operand is converted as 16·b (a 258-bit integer, still five
// 52-bit limbs): mont260(a, 16·b) = a·b·16 / 2^260 = a·b / 2^256, the engine's product. Bounds: a < p and
// 16·b < 16p give a·16b < 2^260·p, so the Montgomery result is below (16p²/2^260) + p < 1.25p and one
// conditional subtraction makes it canonical — bit-for-bit the scalar product.
//
// Without IFMA (another CPU, or a compiler without it) the same functions run the scalar product: results are
// identical, only slower. Both moduli (Fq, Fr) work; the MSM uses Fq.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "field.hpp"

#if defined(__AVX512F__) && defined(__AVX512IFMA__)
// GCC 12's AVX-512 shift intrinsics pass an "undefined" vector as the unused merge operand, which
// -W(maybe-)uninitialized reports at every use (GCC bug 105593); nothing here reads uninitialised data.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#define ZK_HAVE_IFMA 1
#else
#define ZK_HAVE_IFMA 0
#endif

namespace zk {
namespace simd {

// The vector path can be switched off at run time (ZKAI_NATIVE_SIMD=off): the tests compare both paths, and
// it is a way out should a CPU misbehave.
static inline bool enabled() {
  static const bool on = [] {
    const char* env = std::getenv("ZKAI_NATIVE_SIMD");
    return ZK_HAVE_IFMA && !(env && std::strcmp(env, "off") == 0);
  }();
  return on;
}

#if ZK_HAVE_IFMA

static const uint64_t MASK52 = (1ULL << 52) - 1;

// Eight field elements, limb j of all eight in l[j] (radix 2^52).
struct V8 {
  __m512i l[5];
};

// The modulus in radix 2^52 and -p^-1 mod 2^52.
template <class Params>
struct Consts52 {
  __m512i p[5];
  __m512i k0;
  __m512i mask;
  Consts52() {
    const uint64_t* P = Params::P;
    uint64_t l[5] = {P[0] & MASK52, ((P[0] >> 52) | (P[1] << 12)) & MASK52, ((P[1] >> 40) | (P[2] << 24)) & MASK52,
                     ((P[2] >> 28) | (P[3] << 36)) & MASK52, P[3] >> 16};
    for (int j = 0; j < 5; j++) p[j] = _mm512_set1_epi64((long long)l[j]);
    k0 = _mm512_set1_epi64((long long)(Params::INV & MASK52));
    mask = _mm512_set1_epi64((long long)MASK52);
  }
};

template <class Params>
static inline const Consts52<Params>& consts() {
  static const Consts52<Params> c;
  return c;
}

// Eight consecutive 32-byte elements as four vectors v[k] = limb k (64-bit) of each element.
static inline void transpose_in(const uint64_t* src, __m512i v[4]) {
  __m512i z0 = _mm512_loadu_si512(src), z1 = _mm512_loadu_si512(src + 8);
  __m512i z2 = _mm512_loadu_si512(src + 16), z3 = _mm512_loadu_si512(src + 24);
  // z0 = [e0 | e1], z1 = [e2 | e3] ...: gather limbs 0,1 and 2,3 of four elements.
  const __m512i i01 = _mm512_setr_epi64(0, 4, 8, 12, 1, 5, 9, 13);
  const __m512i i23 = _mm512_setr_epi64(2, 6, 10, 14, 3, 7, 11, 15);
  __m512i a01 = _mm512_permutex2var_epi64(z0, i01, z1), a23 = _mm512_permutex2var_epi64(z0, i23, z1);
  __m512i b01 = _mm512_permutex2var_epi64(z2, i01, z3), b23 = _mm512_permutex2var_epi64(z2, i23, z3);
  const __m512i lo = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
  const __m512i hi = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
  v[0] = _mm512_permutex2var_epi64(a01, lo, b01);
  v[1] = _mm512_permutex2var_epi64(a01, hi, b01);
  v[2] = _mm512_permutex2var_epi64(a23, lo, b23);
  v[3] = _mm512_permutex2var_epi64(a23, hi, b23);
}

// The inverse of transpose_in.
static inline void transpose_out(const __m512i v[4], uint64_t* dst) {
  const __m512i i0 = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
  const __m512i i1 = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
  // (limb0, limb1) pairs and (limb2, limb3) pairs per element
  __m512i p01a = _mm512_permutex2var_epi64(v[0], i0, v[1]);  // e0.0 e0.1 e1.0 e1.1 e2.0 e2.1 e3.0 e3.1
  __m512i p01b = _mm512_permutex2var_epi64(v[0], i1, v[1]);  // e4.. e7
  __m512i p23a = _mm512_permutex2var_epi64(v[2], i0, v[3]);
  __m512i p23b = _mm512_permutex2var_epi64(v[2], i1, v[3]);
  const __m512i j0 = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
  const __m512i j1 = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  _mm512_storeu_si512(dst, _mm512_permutex2var_epi64(p01a, j0, p23a));       // e0, e1
  _mm512_storeu_si512(dst + 8, _mm512_permutex2var_epi64(p01a, j1, p23a));   // e2, e3
  _mm512_storeu_si512(dst + 16, _mm512_permutex2var_epi64(p01b, j0, p23b));  // e4, e5
  _mm512_storeu_si512(dst + 24, _mm512_permutex2var_epi64(p01b, j1, p23b));  // e6, e7
}

// 64-bit limbs -> 52-bit limbs of x (plain) or of 16·x (shift4: the right operand of a product).
template <bool shift4>
static inline V8 to52(const __m512i v[4]) {
  const __m512i M = _mm512_set1_epi64((long long)MASK52);
  V8 r;
  if (!shift4) {
    r.l[0] = _mm512_and_si512(v[0], M);
    r.l[1] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(v[0], 52), _mm512_slli_epi64(v[1], 12)), M);
    r.l[2] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(v[1], 40), _mm512_slli_epi64(v[2], 24)), M);
    r.l[3] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(v[2], 28), _mm512_slli_epi64(v[3], 36)), M);
    r.l[4] = _mm512_srli_epi64(v[3], 16);
  } else {
    r.l[0] = _mm512_and_si512(_mm512_slli_epi64(v[0], 4), M);
    r.l[1] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(v[0], 48), _mm512_slli_epi64(v[1], 16)), M);
    r.l[2] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(v[1], 36), _mm512_slli_epi64(v[2], 28)), M);
    r.l[3] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(v[2], 24), _mm512_slli_epi64(v[3], 40)), M);
    r.l[4] = _mm512_srli_epi64(v[3], 12);
  }
  return r;
}

// Normalised 52-bit limbs (value < 2^256) -> 64-bit limbs.
static inline void from52(const V8& a, __m512i v[4]) {
  v[0] = _mm512_or_si512(a.l[0], _mm512_slli_epi64(a.l[1], 52));
  v[1] = _mm512_or_si512(_mm512_srli_epi64(a.l[1], 12), _mm512_slli_epi64(a.l[2], 40));
  v[2] = _mm512_or_si512(_mm512_srli_epi64(a.l[2], 24), _mm512_slli_epi64(a.l[3], 28));
  v[3] = _mm512_or_si512(_mm512_srli_epi64(a.l[3], 36), _mm512_slli_epi64(a.l[4], 16));
}

// 16·x from the normalised limbs of x (x < p < 2^254, so 16x < 2^258 fits five limbs).
static inline V8 times16(const V8& a) {
  const __m512i M = _mm512_set1_epi64((long long)MASK52);
  V8 r;
  r.l[0] = _mm512_and_si512(_mm512_slli_epi64(a.l[0], 4), M);
  for (int j = 1; j < 5; j++)
    r.l[j] = _mm512_and_si512(_mm512_or_si512(_mm512_slli_epi64(a.l[j], 4), _mm512_srli_epi64(a.l[j - 1], 48)), M);
  return r;
}

template <class Params>
static inline V8 load(const Fp<Params>* src) {
  __m512i v[4];
  transpose_in(src[0].v, v);
  return to52<false>(v);
}
template <class Params>
static inline V8 load16(const Fp<Params>* src) {
  __m512i v[4];
  transpose_in(src[0].v, v);
  return to52<true>(v);
}
template <class Params>
static inline void store(const V8& a, Fp<Params>* dst) {
  __m512i v[4];
  from52(a, v);
  transpose_out(v, dst[0].v);
}

// Normalised limbs of t < 2p -> t mod p: t − p with borrows (arithmetic shifts carry −1), kept unless negative.
template <class Params>
static inline V8 reduce_once(const V8& t) {
  const Consts52<Params>& C = consts<Params>();
  const __m512i M = C.mask;
  __m512i d0 = _mm512_sub_epi64(t.l[0], C.p[0]);
  __m512i d1 = _mm512_add_epi64(_mm512_sub_epi64(t.l[1], C.p[1]), _mm512_srai_epi64(d0, 52));
  __m512i d2 = _mm512_add_epi64(_mm512_sub_epi64(t.l[2], C.p[2]), _mm512_srai_epi64(d1, 52));
  __m512i d3 = _mm512_add_epi64(_mm512_sub_epi64(t.l[3], C.p[3]), _mm512_srai_epi64(d2, 52));
  __m512i d4 = _mm512_add_epi64(_mm512_sub_epi64(t.l[4], C.p[4]), _mm512_srai_epi64(d3, 52));
  const __mmask8 ge = _mm512_cmpge_epi64_mask(d4, _mm512_setzero_si512());
  V8 r;
  r.l[0] = _mm512_mask_blend_epi64(ge, t.l[0], _mm512_and_si512(d0, M));
  r.l[1] = _mm512_mask_blend_epi64(ge, t.l[1], _mm512_and_si512(d1, M));
  r.l[2] = _mm512_mask_blend_epi64(ge, t.l[2], _mm512_and_si512(d2, M));
  r.l[3] = _mm512_mask_blend_epi64(ge, t.l[3], _mm512_and_si512(d3, M));
  r.l[4] = _mm512_mask_blend_epi64(ge, t.l[4], d4);
  return r;
}

// a·b16 / 2^260 mod p, canonical (a: limbs of a < p, b16: limbs of 16·b, b < p), i.e. the engine's a·b.
template <class Params>
static inline V8 mont(const V8& a, const V8& b16) {
  const Consts52<Params>& C = consts<Params>();
  const __m512i zero = _mm512_setzero_si512();
  __m512i t0 = zero, t1 = zero, t2 = zero, t3 = zero, t4 = zero, t5 = zero;
  for (int i = 0; i < 5; i++) {
    const __m512i ai = a.l[i];
    t0 = _mm512_madd52lo_epu64(t0, ai, b16.l[0]);
    t1 = _mm512_madd52lo_epu64(t1, ai, b16.l[1]);
    t2 = _mm512_madd52lo_epu64(t2, ai, b16.l[2]);
    t3 = _mm512_madd52lo_epu64(t3, ai, b16.l[3]);
    t4 = _mm512_madd52lo_epu64(t4, ai, b16.l[4]);
    t1 = _mm512_madd52hi_epu64(t1, ai, b16.l[0]);
    t2 = _mm512_madd52hi_epu64(t2, ai, b16.l[1]);
    t3 = _mm512_madd52hi_epu64(t3, ai, b16.l[2]);
    t4 = _mm512_madd52hi_epu64(t4, ai, b16.l[3]);
    t5 = _mm512_madd52hi_epu64(t5, ai, b16.l[4]);
    // m = t0·(−p⁻¹) mod 2^52 (IFMA reads only the low 52 bits of t0), so t0 + m·p ≡ 0 mod 2^52.
    const __m512i m = _mm512_madd52lo_epu64(zero, t0, C.k0);
    t0 = _mm512_madd52lo_epu64(t0, m, C.p[0]);
    t1 = _mm512_madd52lo_epu64(t1, m, C.p[1]);
    t2 = _mm512_madd52lo_epu64(t2, m, C.p[2]);
    t3 = _mm512_madd52lo_epu64(t3, m, C.p[3]);
    t4 = _mm512_madd52lo_epu64(t4, m, C.p[4]);
    t1 = _mm512_madd52hi_epu64(t1, m, C.p[0]);
    t2 = _mm512_madd52hi_epu64(t2, m, C.p[1]);
    t3 = _mm512_madd52hi_epu64(t3, m, C.p[2]);
    t4 = _mm512_madd52hi_epu64(t4, m, C.p[3]);
    t5 = _mm512_madd52hi_epu64(t5, m, C.p[4]);
    // Divide by 2^52: t0's low 52 bits are zero, its carry moves up; every limb stays below 2^58.
    t1 = _mm512_add_epi64(t1, _mm512_srli_epi64(t0, 52));
    t0 = t1;
    t1 = t2;
    t2 = t3;
    t3 = t4;
    t4 = t5;
    t5 = zero;
  }
  // Normalise to 52-bit limbs (the value is below 1.25p < 2^255).
  const __m512i M = C.mask;
  t1 = _mm512_add_epi64(t1, _mm512_srli_epi64(t0, 52));
  t0 = _mm512_and_si512(t0, M);
  t2 = _mm512_add_epi64(t2, _mm512_srli_epi64(t1, 52));
  t1 = _mm512_and_si512(t1, M);
  t3 = _mm512_add_epi64(t3, _mm512_srli_epi64(t2, 52));
  t2 = _mm512_and_si512(t2, M);
  t4 = _mm512_add_epi64(t4, _mm512_srli_epi64(t3, 52));
  t3 = _mm512_and_si512(t3, M);
  V8 r;
  r.l[0] = t0;
  r.l[1] = t1;
  r.l[2] = t2;
  r.l[3] = t3;
  r.l[4] = t4;
  return reduce_once<Params>(r);
}

// a + b mod p for canonical a, b.
template <class Params>
static inline V8 add(const V8& a, const V8& b) {
  const __m512i M = consts<Params>().mask;
  V8 s;
  __m512i c = _mm512_setzero_si512();
  for (int j = 0; j < 5; j++) {
    __m512i t = _mm512_add_epi64(_mm512_add_epi64(a.l[j], b.l[j]), c);
    c = _mm512_srli_epi64(t, 52);
    s.l[j] = j < 4 ? _mm512_and_si512(t, M) : t;
  }
  return reduce_once<Params>(s);
}

// a − b mod p for canonical a, b.
template <class Params>
static inline V8 sub(const V8& a, const V8& b) {
  const Consts52<Params>& C = consts<Params>();
  V8 d, e;
  __m512i c = _mm512_setzero_si512();
  for (int j = 0; j < 5; j++) {
    __m512i t = _mm512_add_epi64(_mm512_sub_epi64(a.l[j], b.l[j]), c);
    c = _mm512_srai_epi64(t, 52);
    d.l[j] = j < 4 ? _mm512_and_si512(t, C.mask) : t;
  }
  // Negative (the top limb went below zero): add p back.
  const __mmask8 neg = _mm512_cmplt_epi64_mask(d.l[4], _mm512_setzero_si512());
  c = _mm512_setzero_si512();
  for (int j = 0; j < 5; j++) {
    __m512i t = _mm512_add_epi64(_mm512_add_epi64(d.l[j], C.p[j]), c);
    c = _mm512_srai_epi64(t, 52);
    e.l[j] = j < 4 ? _mm512_and_si512(t, C.mask) : t;
  }
  for (int j = 0; j < 5; j++) d.l[j] = _mm512_mask_blend_epi64(neg, d.l[j], e.l[j]);
  return d;
}

// Eight coordinates from records of eight 64-bit words (affine G1 points: x in words 0–3, y in 4–7): lane l reads
// the record at base + 8·idx[l], words off..off+3. Used on the MSM's buckets, which a batch touches at scattered
// indices (all distinct within a batch, so a scatter back cannot collide).
template <bool shift4>
static inline V8 gather_coord(const uint64_t* base, __m512i rec8, int off) {
  __m512i v[4];
  for (int j = 0; j < 4; j++) v[j] = _mm512_i64gather_epi64(_mm512_add_epi64(rec8, _mm512_set1_epi64(off + j)), base, 8);
  return to52<shift4>(v);
}
static inline void scatter_coord(uint64_t* base, __m512i rec8, int off, const V8& a) {
  __m512i v[4];
  from52(a, v);
  for (int j = 0; j < 4; j++) _mm512_i64scatter_epi64(base, _mm512_add_epi64(rec8, _mm512_set1_epi64(off + j)), v[j], 8);
}
// Record offsets (in words) of eight 32-bit indices, for records of 2^logWords words: idx << logWords.
template <int logWords>
static inline __m512i record_offsets(const uint32_t* idx) {
  return _mm512_slli_epi64(_mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx))), logWords);
}

// Eight Fq2 elements (c0 + c1·u, u² = −1), each component as a V8; products by Karatsuba (three Fq products).
struct V8x2 {
  V8 c0, c1;
};
static inline V8x2 add2(const V8x2& a, const V8x2& b) { return {add<FqParams>(a.c0, b.c0), add<FqParams>(a.c1, b.c1)}; }
static inline V8x2 sub2(const V8x2& a, const V8x2& b) { return {sub<FqParams>(a.c0, b.c0), sub<FqParams>(a.c1, b.c1)}; }
static inline V8x2 mul2(const V8x2& a, const V8x2& b) {
  V8 t0 = mont<FqParams>(a.c0, times16(b.c0));
  V8 t1 = mont<FqParams>(a.c1, times16(b.c1));
  V8 t2 = mont<FqParams>(add<FqParams>(a.c0, a.c1), times16(add<FqParams>(b.c0, b.c1)));
  return {sub<FqParams>(t0, t1), sub<FqParams>(sub<FqParams>(t2, t0), t1)};
}
static inline V8x2 sqr2(const V8x2& a) {
  V8 t = mont<FqParams>(a.c0, times16(a.c1));
  return {mont<FqParams>(add<FqParams>(a.c0, a.c1), times16(sub<FqParams>(a.c0, a.c1))), add<FqParams>(t, t)};
}
// An Fq2 coordinate of eight records: c0 at words off..off+3, c1 at off+4..off+7.
static inline V8x2 gather_fq2(const uint64_t* base, __m512i rec, int off) {
  return {gather_coord<false>(base, rec, off), gather_coord<false>(base, rec, off + 4)};
}
static inline void scatter_fq2(uint64_t* base, __m512i rec, int off, const V8x2& a) {
  scatter_coord(base, rec, off, a.c0);
  scatter_coord(base, rec, off + 4, a.c1);
}
// Lanes whose (canonical) value is zero.
static inline __mmask8 zero_lanes(const V8& a) {
  __m512i o = _mm512_or_si512(_mm512_or_si512(a.l[0], a.l[1]), _mm512_or_si512(_mm512_or_si512(a.l[2], a.l[3]), a.l[4]));
  return _mm512_cmpeq_epi64_mask(o, _mm512_setzero_si512());
}

// The batch-affine step's vector operations for one coordinate field: G1 (Fq, a point is an 8-word record, one V8
// per coordinate) and G2 (Fq2, a 16-word record, a V8x2 per coordinate), so that one routine serves both groups.
template <class F>
struct VecOps;
template <>
struct VecOps<Fq> {
  typedef V8 V;
  static constexpr int logRecord = 3;  // words per affine point: 8
  static V gather(const uint64_t* base, __m512i rec, int off) { return gather_coord<false>(base, rec, off); }
  static void scatter(uint64_t* base, __m512i rec, int off, const V& a) { scatter_coord(base, rec, off, a); }
  // Eight consecutive elements of an Fq array.
  static V load_run(const Fq* p) { return load(p); }
  static void store_run(const V& a, Fq* p) { store(a, p); }
  static V sub(const V& a, const V& b) { return simd::sub<FqParams>(a, b); }
  static V mul(const V& a, const V& b) { return mont<FqParams>(a, times16(b)); }
  static V sqr(const V& a) { return mont<FqParams>(a, times16(a)); }
  static __mmask8 zeros(const V& a) { return zero_lanes(a); }
};
template <>
struct VecOps<Fq2> {
  typedef V8x2 V;
  static constexpr int logRecord = 4;  // words per affine point: 16
  static V gather(const uint64_t* base, __m512i rec, int off) { return gather_fq2(base, rec, off); }
  static void scatter(uint64_t* base, __m512i rec, int off, const V& a) { scatter_fq2(base, rec, off, a); }
  // Eight consecutive elements of an Fq2 array (8-word records): c0 and c1 interleave, so gathered.
  static __m512i run_offsets() { return _mm512_setr_epi64(0, 8, 16, 24, 32, 40, 48, 56); }
  static V load_run(const Fq2* p) { return gather_fq2(reinterpret_cast<const uint64_t*>(p), run_offsets(), 0); }
  static void store_run(const V& a, Fq2* p) { scatter_fq2(reinterpret_cast<uint64_t*>(p), run_offsets(), 0, a); }
  static V sub(const V& a, const V& b) { return sub2(a, b); }
  static V mul(const V& a, const V& b) { return mul2(a, b); }
  static V sqr(const V& a) { return sqr2(a); }
  static __mmask8 zeros(const V& a) { return zero_lanes(a.c0) & zero_lanes(a.c1); }
};

template <class Params>
static inline V8 one_v8() {
  Fp<Params> ones[8];
  for (auto& o : ones) o = Fp<Params>::one();
  return load(ones);
}

#endif  // ZK_HAVE_IFMA

// out[i] = a[i]·b[i] for i < n (out may alias a or b).
template <class Params>
static inline void mul_many(const Fp<Params>* a, const Fp<Params>* b, Fp<Params>* out, size_t n) {
  size_t i = 0;
#if ZK_HAVE_IFMA
  if (enabled())
    for (; i + 8 <= n; i += 8) store(mont<Params>(load(a + i), load16(b + i)), out + i);
#endif
  for (; i < n; i++) out[i] = a[i] * b[i];
}

// out[i] = a[i]² for i < n (out may alias a).
template <class Params>
static inline void sqr_many(const Fp<Params>* a, Fp<Params>* out, size_t n) {
  size_t i = 0;
#if ZK_HAVE_IFMA
  for (; enabled() && i + 8 <= n; i += 8) {
    V8 x = load(a + i);
    store(mont<Params>(x, times16(x)), out + i);
  }
#endif
  for (; i < n; i++) out[i] = a[i].sqr();
}

// out[i] = a[i]·c for i < n (out may alias a). With c = 1 as a plain integer this leaves Montgomery form, with
// c = R² (plain) it enters it.
template <class Params>
static inline void scale_many(const Fp<Params>* a, const Fp<Params>& c, Fp<Params>* out, size_t n) {
  size_t i = 0;
#if ZK_HAVE_IFMA
  if (n >= 8 && enabled()) {
    Fp<Params> cs[8];
    for (auto& x : cs) x = c;
    const V8 c16 = load16(cs);
    for (; i + 8 <= n; i += 8) store(mont<Params>(load(a + i), c16), out + i);
  }
#endif
  for (; i < n; i++) out[i] = a[i] * c;
}

// NTT butterflies: (x[j], y[j]) <- (x[j] + w[j]·y[j], x[j] − w[j]·y[j]) for j < n.
template <class Params>
static inline void butterflies(Fp<Params>* x, Fp<Params>* y, const Fp<Params>* w, size_t n) {
  size_t j = 0;
#if ZK_HAVE_IFMA
  for (; enabled() && j + 8 <= n; j += 8) {
    V8 v = mont<Params>(load(y + j), load16(w + j));
    V8 u = load(x + j);
    store(add<Params>(u, v), x + j);
    store(sub<Params>(u, v), y + j);
  }
#endif
  for (; j < n; j++) {
    Fp<Params> v = y[j] * w[j];
    Fp<Params> u = x[j];
    x[j] = u + v;
    y[j] = u - v;
  }
}

// out[i] = a[i]·b[i ^ 1] for i < n, n even: the cross terms of Fq2 products stored as (c0, c1) pairs.
template <class Params>
static inline void mul_many_swapped(const Fp<Params>* a, const Fp<Params>* b, Fp<Params>* out, size_t n) {
  size_t i = 0;
#if ZK_HAVE_IFMA
  for (; enabled() && i + 8 <= n; i += 8) {
    V8 y = load16(b + i);
    for (int j = 0; j < 5; j++) y.l[j] = _mm512_permutex_epi64(y.l[j], 0xB1);  // swap lanes 2k and 2k+1
    store(mont<Params>(load(a + i), y), out + i);
  }
#endif
  for (; i < n; i++) out[i] = a[i] * b[i ^ 1];
}

// Fq2 products out[i] = a[i]·b[i] (out may alias a or b): the four Fq products of each pair in batches,
// c0 = a0·b0 − a1·b1, c1 = a0·b1 + a1·b0. `scratch` is reused between calls.
static inline void fq2_mul_many(const Fq2* a, const Fq2* b, Fq2* out, size_t n, std::vector<Fq>& scratch) {
  scratch.resize(4 * n);
  Fq* direct = scratch.data();
  Fq* cross = direct + 2 * n;
  const Fq* av = &a[0].c0;
  const Fq* bv = &b[0].c0;
  mul_many(av, bv, direct, 2 * n);
  mul_many_swapped(av, bv, cross, 2 * n);
  for (size_t i = 0; i < n; i++) out[i] = Fq2{direct[2 * i] - direct[2 * i + 1], cross[2 * i] + cross[2 * i + 1]};
}

static inline void fq2_sqr_many(const Fq2* a, Fq2* out, size_t n, std::vector<Fq>& scratch) { fq2_mul_many(a, a, out, n, scratch); }

// In-place inverses of d[0..n), all nonzero, with one field inversion (Montgomery's trick). With IFMA the
// products run as eight interleaved chains (lane l takes the elements ≡ l mod 8 of each block of eight), so
// they are independent vector products instead of one latency-bound scalar chain.
template <class Params>
static inline void batch_inverse_many(Fp<Params>* d, size_t n, std::vector<Fp<Params>>& scratch) {
  typedef Fp<Params> F;
  if (n == 0) return;
  size_t groups = 0;
#if ZK_HAVE_IFMA
  groups = enabled() ? n / 8 : 0;
  if (groups < 2) groups = 0;
  V8 run{};
  if (groups) {
    scratch.resize(groups * 8);
    run = one_v8<Params>();
    for (size_t g = 0; g < groups; g++) {
      store(run, &scratch[g * 8]);  // the product of the lane's earlier elements
      run = mont<Params>(run, load16(d + g * 8));
    }
  }
#endif
  // One scalar chain over the eight lane totals (if any) and the elements left over, with the only inversion.
  const size_t lanes = groups ? 8 : 0;
  const size_t tail = n - groups * 8;
  std::vector<F> small(lanes + tail), prefix(lanes + tail);
#if ZK_HAVE_IFMA
  if (groups) store(run, small.data());
#endif
  for (size_t k = 0; k < tail; k++) small[lanes + k] = d[groups * 8 + k];
  F acc = F::one();
  for (size_t k = 0; k < small.size(); k++) {
    prefix[k] = acc;
    acc = acc * small[k];
  }
  F inv = acc.inv();
  for (size_t k = small.size(); k-- > 0;) {
    F ik = inv * prefix[k];
    inv = inv * small[k];
    small[k] = ik;
  }
  for (size_t k = 0; k < tail; k++) d[groups * 8 + k] = small[lanes + k];
#if ZK_HAVE_IFMA
  if (groups) {
    // Walk back: the inverse of element g·8+l is (inverse of the lane's running product) × (its prefix).
    V8 iv = load(small.data());
    for (size_t g = groups; g-- > 0;) {
      V8 dg16 = load16(d + g * 8);
      store(mont<Params>(iv, load16(&scratch[g * 8])), d + g * 8);
      iv = mont<Params>(iv, dg16);
    }
  }
#endif
}

}  // namespace simd
}  // namespace zk
