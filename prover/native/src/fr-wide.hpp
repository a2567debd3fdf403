// Lazy reduction over Fr: a sum of products a_i·b_i accumulated as a 512-bit integer and Montgomery-reduced once,
// instead of one reduction (and one modular addition) per product. A dot product of n terms then costs n plain
// products (16 limb multiplications each) and one reduction (16) instead of n Montgomery products (32 each): the
// MDS mixes and the sparse partial rounds of Poseidon (poseidon.inc) are such dot products.
//
// Bounds: REDC(T) = T_high + REDC(T_low) (the Montgomery factor depends on the low 256 bits only), REDC(T_low) <= r,
// so for T < 2r·2^256 the sum is below 3r (< 2^256) and two conditional subtractions of r make it canonical. With
// canonical inputs each product is < r², and 10·r² < 2r·2^256 (r < 2^253.6): up to 10 products, or up to 5 products
// plus one element x added as x·2^256 (5r² + r·2^256 < 2r·2^256 because 5r < 2^256).
#pragma once
#include "field.hpp"

namespace zk {
namespace wide {

constexpr int MAX_TERMS = 10;      // products in one accumulator
constexpr int MAX_WITH_HIGH = 5;   // products beside one add_high

#if defined(__x86_64__) && defined(__ADX__) && defined(__BMI2__)
// r[0..7] = a·b, the full 512-bit product (mulx, two carry chains; rows kept in a rolling window of five registers).
static ZK_INLINE void mul_wide(const uint64_t* a, const uint64_t* b, uint64_t* r) {
  uint64_t w0, w1, w2, w3, w4, lo, hi;
  asm("movq 0(%[b]), %%rdx\n\t"
      "mulxq 0(%[a]), %[w0], %[w1]\n\t"
      "mulxq 8(%[a]), %[lo], %[w2]\n\t"
      "addq %[lo], %[w1]\n\t"
      "mulxq 16(%[a]), %[lo], %[w3]\n\t"
      "adcq %[lo], %[w2]\n\t"
      "mulxq 24(%[a]), %[lo], %[w4]\n\t"
      "adcq %[lo], %[w3]\n\t"
      "adcq $0, %[w4]\n\t"
      "movq %[w0], 0(%[r])\n\t"
      // row 1: limbs 1..5 in w1 w2 w3 w4 w0
      "movq 8(%[b]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[w1]\n\t"
      "adoxq %[hi], %[w2]\n\t"
      "mulxq 8(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[w2]\n\t"
      "adoxq %[hi], %[w3]\n\t"
      "mulxq 16(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[w3]\n\t"
      "adoxq %[hi], %[w4]\n\t"
      "mulxq 24(%[a]), %[lo], %[w0]\n\t"
      "adcxq %[lo], %[w4]\n\t"
      "adoxq %%rax, %[w0]\n\t"
      "adcxq %%rax, %[w0]\n\t"
      "movq %[w1], 8(%[r])\n\t"
      // row 2: limbs 2..6 in w2 w3 w4 w0 w1
      "movq 16(%[b]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[w2]\n\t"
      "adoxq %[hi], %[w3]\n\t"
      "mulxq 8(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[w3]\n\t"
      "adoxq %[hi], %[w4]\n\t"
      "mulxq 16(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[w4]\n\t"
      "adoxq %[hi], %[w0]\n\t"
      "mulxq 24(%[a]), %[lo], %[w1]\n\t"
      "adcxq %[lo], %[w0]\n\t"
      "adoxq %%rax, %[w1]\n\t"
      "adcxq %%rax, %[w1]\n\t"
      "movq %[w2], 16(%[r])\n\t"
      // row 3: limbs 3..7 in w3 w4 w0 w1 w2
      "movq 24(%[b]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[w3]\n\t"
      "adoxq %[hi], %[w4]\n\t"
      "mulxq 8(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[w4]\n\t"
      "adoxq %[hi], %[w0]\n\t"
      "mulxq 16(%[a]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[w0]\n\t"
      "adoxq %[hi], %[w1]\n\t"
      "mulxq 24(%[a]), %[lo], %[w2]\n\t"
      "adcxq %[lo], %[w1]\n\t"
      "adoxq %%rax, %[w2]\n\t"
      "adcxq %%rax, %[w2]\n\t"
      "movq %[w3], 24(%[r])\n\t"
      "movq %[w4], 32(%[r])\n\t"
      "movq %[w0], 40(%[r])\n\t"
      "movq %[w1], 48(%[r])\n\t"
      "movq %[w2], 56(%[r])\n\t"
      : [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [w4] "=&r"(w4), [lo] "=&r"(lo), [hi] "=&r"(hi),
        "=m"(*(uint64_t(*)[8])r)
      : [a] "r"(a), [b] "r"(b), [r] "r"(r), "m"(*(const uint64_t(*)[4])a), "m"(*(const uint64_t(*)[4])b)
      : "rax", "rdx", "cc");
}

// out = in·2^-256 mod r as a value in [0, r]: the Montgomery reduction of a 256-bit number (four rounds, no product).
static ZK_INLINE void redc4(const uint64_t* in, uint64_t* out) {
  uint64_t t0 = in[0], t1 = in[1], t2 = in[2], t3 = in[3], lo, hi;
  asm("movq %[t0], %%rdx\n\t"
      "imulq 32(%[p]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t0]\n\t"
      "adoxq %[hi], %[t1]\n\t"
      "mulxq 8(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t1]\n\t"
      "adoxq %[hi], %[t2]\n\t"
      "mulxq 16(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t2]\n\t"
      "adoxq %[hi], %[t3]\n\t"
      "mulxq 24(%[p]), %[lo], %[t0]\n\t"
      "adcxq %[lo], %[t3]\n\t"
      "adoxq %%rax, %[t0]\n\t"
      "adcxq %%rax, %[t0]\n\t"
      // (t1 t2 t3 t0)
      "movq %[t1], %%rdx\n\t"
      "imulq 32(%[p]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t1]\n\t"
      "adoxq %[hi], %[t2]\n\t"
      "mulxq 8(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t2]\n\t"
      "adoxq %[hi], %[t3]\n\t"
      "mulxq 16(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t3]\n\t"
      "adoxq %[hi], %[t0]\n\t"
      "mulxq 24(%[p]), %[lo], %[t1]\n\t"
      "adcxq %[lo], %[t0]\n\t"
      "adoxq %%rax, %[t1]\n\t"
      "adcxq %%rax, %[t1]\n\t"
      // (t2 t3 t0 t1)
      "movq %[t2], %%rdx\n\t"
      "imulq 32(%[p]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t2]\n\t"
      "adoxq %[hi], %[t3]\n\t"
      "mulxq 8(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t3]\n\t"
      "adoxq %[hi], %[t0]\n\t"
      "mulxq 16(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t0]\n\t"
      "adoxq %[hi], %[t1]\n\t"
      "mulxq 24(%[p]), %[lo], %[t2]\n\t"
      "adcxq %[lo], %[t1]\n\t"
      "adoxq %%rax, %[t2]\n\t"
      "adcxq %%rax, %[t2]\n\t"
      // (t3 t0 t1 t2)
      "movq %[t3], %%rdx\n\t"
      "imulq 32(%[p]), %%rdx\n\t"
      "xorl %%eax, %%eax\n\t"
      "mulxq 0(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t3]\n\t"
      "adoxq %[hi], %[t0]\n\t"
      "mulxq 8(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t0]\n\t"
      "adoxq %[hi], %[t1]\n\t"
      "mulxq 16(%[p]), %[lo], %[hi]\n\t"
      "adcxq %[lo], %[t1]\n\t"
      "adoxq %[hi], %[t2]\n\t"
      "mulxq 24(%[p]), %[lo], %[t3]\n\t"
      "adcxq %[lo], %[t2]\n\t"
      "adoxq %%rax, %[t3]\n\t"
      "adcxq %%rax, %[t3]\n\t"
      // (t0 t1 t2 t3)
      : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [lo] "=&r"(lo), [hi] "=&r"(hi)
      : [p] "r"(Fr::PINV), "m"(*(const uint64_t(*)[5])Fr::PINV)
      : "rax", "rdx", "cc");
  out[0] = t0, out[1] = t1, out[2] = t2, out[3] = t3;
}

#else
static ZK_INLINE void mul_wide(const uint64_t* a, const uint64_t* b, uint64_t* r) {
  uint64_t t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 4; i++) {
    u128 c = 0;
    for (int j = 0; j < 4; j++) {
      c += (u128)a[j] * b[i] + t[i + j];
      t[i + j] = (uint64_t)c;
      c >>= 64;
    }
    t[i + 4] = (uint64_t)c;
  }
  std::memcpy(r, t, 64);
}

static ZK_INLINE void redc4(const uint64_t* in, uint64_t* out) {
  uint64_t t[5] = {in[0], in[1], in[2], in[3], 0};
  for (int i = 0; i < 4; i++) {
    uint64_t m = t[0] * FrParams::INV;
    u128 c = (u128)m * FrParams::P[0] + t[0];
    for (int j = 1; j < 4; j++) {
      c = (u128)m * FrParams::P[j] + t[j] + (uint64_t)(c >> 64);
      t[j - 1] = (uint64_t)c;
    }
    c = (u128)t[4] + (uint64_t)(c >> 64);
    t[3] = (uint64_t)c;
    t[4] = 0;
  }
  std::memcpy(out, t, 32);
}
#endif

#if defined(__x86_64__)
// acc += r (512-bit), one add/adc chain (the carry intrinsics leave GCC juggling the carry flag through registers).
static ZK_INLINE void add(uint64_t* acc, const uint64_t* r) {
  asm("movq 0(%[r]), %%rax\n\t"
      "addq %%rax, 0(%[acc])\n\t"
      "movq 8(%[r]), %%rax\n\t"
      "adcq %%rax, 8(%[acc])\n\t"
      "movq 16(%[r]), %%rax\n\t"
      "adcq %%rax, 16(%[acc])\n\t"
      "movq 24(%[r]), %%rax\n\t"
      "adcq %%rax, 24(%[acc])\n\t"
      "movq 32(%[r]), %%rax\n\t"
      "adcq %%rax, 32(%[acc])\n\t"
      "movq 40(%[r]), %%rax\n\t"
      "adcq %%rax, 40(%[acc])\n\t"
      "movq 48(%[r]), %%rax\n\t"
      "adcq %%rax, 48(%[acc])\n\t"
      "movq 56(%[r]), %%rax\n\t"
      "adcq %%rax, 56(%[acc])\n\t"
      : "+m"(*(uint64_t(*)[8])acc)
      : [acc] "r"(acc), [r] "r"(r), "m"(*(const uint64_t(*)[8])r)
      : "rax", "cc");
}

// acc[0..3] + x (256-bit; the caller's bounds keep the sum below 2^256).
static ZK_INLINE void add4(const uint64_t* acc, const uint64_t* x, uint64_t* out) {
  uint64_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  asm("addq 0(%[x]), %[a0]\n\t"
      "adcq 8(%[x]), %[a1]\n\t"
      "adcq 16(%[x]), %[a2]\n\t"
      "adcq 24(%[x]), %[a3]\n\t"
      : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3)
      : [x] "r"(x), "m"(*(const uint64_t(*)[4])x)
      : "cc");
  out[0] = a0, out[1] = a1, out[2] = a2, out[3] = a3;
}
#else
static ZK_INLINE void add(uint64_t* acc, const uint64_t* r) {
  unsigned long long x;
  unsigned char c = 0;
  for (int i = 0; i < 8; i++) c = _addcarry_u64(c, acc[i], r[i], &x), acc[i] = x;
}

static ZK_INLINE void add4(const uint64_t* acc, const uint64_t* x, uint64_t* out) {
  unsigned long long y;
  unsigned char c = 0;
  for (int i = 0; i < 4; i++) c = _addcarry_u64(c, acc[i], x[i], &y), out[i] = y;
}
#endif

// The canonical Fr element T·2^-256 mod r of an accumulator T < 2r·2^256; ONE_SUB: T < r·2^256 (at most 5 products
// and no add_high: 5r² < r·2^256), where T_high + REDC(T_low) < 2r and one conditional subtraction is enough.
template <bool ONE_SUB = false>
static ZK_INLINE Fr reduce(const uint64_t* acc) {
  uint64_t u[4];
  redc4(acc, u);
  Fr r;
  add4(acc + 4, u, r.v);
  Fr::sub_p_if_needed(r.v);
  if (!ONE_SUB) Fr::sub_p_if_needed(r.v);
  return r;
}

// A sum of Montgomery products in the making: set (first product), mac (more), add_high (an element x, which reduces
// to x itself), reduce. The caller keeps within the bounds above (MAX_TERMS, MAX_WITH_HIGH).
struct Acc {
  uint64_t w[8];
  ZK_INLINE void set(const Fr& a, const Fr& b) { mul_wide(a.v, b.v, w); }
  ZK_INLINE void mac(const Fr& a, const Fr& b) {
    uint64_t r[8];
    mul_wide(a.v, b.v, r);
    add(w, r);
  }
  ZK_INLINE void add_high(const Fr& x) { add4(w + 4, x.v, w + 4); }
  template <bool ONE_SUB = false>
  ZK_INLINE Fr reduce() const {
    return wide::reduce<ONE_SUB>(w);
  }
};

// Σ a[i]·b[i] for i < N, one reduction. Equals the chain of Montgomery products and additions, element for element.
template <int N>
static ZK_INLINE Fr dot(const Fr* a, const Fr* b) {
  static_assert(N >= 1 && N <= MAX_TERMS, "a lazy dot product holds at most MAX_TERMS products");
  Acc acc;
  acc.set(a[0], b[0]);
  for (int i = 1; i < N; i++) acc.mac(a[i], b[i]);
  return acc.reduce<(N <= 5)>();
}

}  // namespace wide
}  // namespace zk
