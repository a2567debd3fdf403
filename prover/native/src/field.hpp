// BN254 prime fields in Montgomery form (4 x 64-bit limbs, R = 2^256) and the quadratic extension Fq2.
// Montgomery multiplication is CIOS with the "no final carry" shortcut, valid because both moduli have
// their top limb below 2^63 - 1; inputs must be reduced (< p), which every entry point guarantees or accepts
// as garbage-in/garbage-out (never undefined behaviour).
#pragma once
#include <cstdint>
#include <cstring>
#include <x86intrin.h>

#include "modinv.hpp"

#define ZK_INLINE inline __attribute__((always_inline))

namespace zk {

typedef unsigned __int128 u128;

struct FqParams {
  static constexpr uint64_t P[4] = {0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL};
  static constexpr uint64_t INV = 0x87d20782e4866389ULL;  // -p^-1 mod 2^64
  static constexpr uint64_t ONE[4] = {0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL, 0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL};
  static constexpr uint64_t R2[4] = {0xf32cfc5b538afa89ULL, 0xb5e71911d44501fbULL, 0x47ab1eff0a417ff6ULL, 0x06d89f71cab8351fULL};
};
struct FrParams {
  static constexpr uint64_t P[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL};
  static constexpr uint64_t INV = 0xc2e1f593efffffffULL;
  static constexpr uint64_t ONE[4] = {0xac96341c4ffffffbULL, 0x36fc76959f60cd29ULL, 0x666ea36f7879462eULL, 0x0e0a77c19a07df2fULL};
  static constexpr uint64_t R2[4] = {0x1bb8e645ae216da7ULL, 0x53fe3ab1e35c59e3ULL, 0x8c49833d53bb8085ULL, 0x0216d0b17f4e44a5ULL};
};

template <class Params>
struct Fp {
  uint64_t v[4];
  static constexpr uint64_t PINV[5] = {Params::P[0], Params::P[1], Params::P[2], Params::P[3], Params::INV};

  static ZK_INLINE Fp zero() { return Fp{{0, 0, 0, 0}}; }
  static ZK_INLINE Fp one() { return Fp{{Params::ONE[0], Params::ONE[1], Params::ONE[2], Params::ONE[3]}}; }
  ZK_INLINE bool is_zero() const { return (v[0] | v[1] | v[2] | v[3]) == 0; }
  inline bool operator==(const Fp& o) const { return ((v[0] ^ o.v[0]) | (v[1] ^ o.v[1]) | (v[2] ^ o.v[2]) | (v[3] ^ o.v[3])) == 0; }
  inline bool operator!=(const Fp& o) const { return !(*this == o); }

  // a >= p as plain integers
  static inline bool geq_p(const uint64_t* a) {
    for (int i = 3; i >= 0; i--) {
      if (a[i] != Params::P[i]) return a[i] > Params::P[i];
    }
    return true;
  }
  static inline bool is_canonical(const uint64_t* a) { return !geq_p(a); }

  // t -= p when t >= p (t < 2p), branch-free. On x86-64 a sub/sbb chain and four cmovs: left to itself, GCC
  // vectorises the mask-and-select form with AVX2 and pays for moving the limbs to vector registers and back.
#if defined(__x86_64__)
  static ZK_INLINE void sub_p_if_needed(uint64_t* t) {
    uint64_t s0 = t[0], s1 = t[1], s2 = t[2], s3 = t[3];
    asm("subq %[p0], %[s0]\n\t"
        "sbbq %[p1], %[s1]\n\t"
        "sbbq %[p2], %[s2]\n\t"
        "sbbq %[p3], %[s3]\n\t"
        "cmovcq %[t0], %[s0]\n\t"
        "cmovcq %[t1], %[s1]\n\t"
        "cmovcq %[t2], %[s2]\n\t"
        "cmovcq %[t3], %[s3]\n\t"
        : [s0] "+&r"(s0), [s1] "+&r"(s1), [s2] "+&r"(s2), [s3] "+&r"(s3)
        : [t0] "r"(t[0]), [t1] "r"(t[1]), [t2] "r"(t[2]), [t3] "r"(t[3]), [p0] "m"(Params::P[0]), [p1] "m"(Params::P[1]),
          [p2] "m"(Params::P[2]), [p3] "m"(Params::P[3])
        : "cc");
    t[0] = s0, t[1] = s1, t[2] = s2, t[3] = s3;
  }
#else
  static ZK_INLINE void sub_p_if_needed(uint64_t* t) {
    unsigned long long s0, s1, s2, s3;
    unsigned char br = 0;
    br = _subborrow_u64(br, t[0], Params::P[0], &s0);
    br = _subborrow_u64(br, t[1], Params::P[1], &s1);
    br = _subborrow_u64(br, t[2], Params::P[2], &s2);
    br = _subborrow_u64(br, t[3], Params::P[3], &s3);
    uint64_t keep = 0 - (uint64_t)br;  // all ones when t < p
    t[0] = (t[0] & keep) | (s0 & ~keep);
    t[1] = (t[1] & keep) | (s1 & ~keep);
    t[2] = (t[2] & keep) | (s2 & ~keep);
    t[3] = (t[3] & keep) | (s3 & ~keep);
  }
#endif

  // CIOS Montgomery product, unrolled; the no-carry variant (top limb of p < 2^63 - 1).
  static ZK_INLINE Fp mul_portable(const Fp& a, const Fp& b) {
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
#define ZK_ROUND(bi)                                                  \
    {                                                                 \
      u128 A = (u128)a.v[0] * (bi) + t0;                              \
      uint64_t lo = (uint64_t)A;                                      \
      uint64_t m = lo * Params::INV;                                  \
      u128 C = (u128)m * Params::P[0] + lo;                           \
      A = (u128)a.v[1] * (bi) + t1 + (uint64_t)(A >> 64);             \
      C = (u128)m * Params::P[1] + (uint64_t)A + (uint64_t)(C >> 64); \
      t0 = (uint64_t)C;                                               \
      A = (u128)a.v[2] * (bi) + t2 + (uint64_t)(A >> 64);             \
      C = (u128)m * Params::P[2] + (uint64_t)A + (uint64_t)(C >> 64); \
      t1 = (uint64_t)C;                                               \
      A = (u128)a.v[3] * (bi) + t3 + (uint64_t)(A >> 64);             \
      C = (u128)m * Params::P[3] + (uint64_t)A + (uint64_t)(C >> 64); \
      t2 = (uint64_t)C;                                               \
      t3 = (uint64_t)(A >> 64) + (uint64_t)(C >> 64);                 \
    }
    ZK_ROUND(b.v[0]) ZK_ROUND(b.v[1]) ZK_ROUND(b.v[2]) ZK_ROUND(b.v[3])
#undef ZK_ROUND
    Fp r{{t0, t1, t2, t3}};
    sub_p_if_needed(r.v);
    return r;
  }

#if defined(__x86_64__) && defined(__ADX__) && defined(__BMI2__)
  // Same CIOS with mulx and two independent carry chains (adcx/adox); ~2x the portable code on GCC.
  friend ZK_INLINE Fp operator*(const Fp& a, const Fp& b) {
    uint64_t t0, t1, t2, t3, t4, lo, hi;
    asm("" 
        "movq 0(%[b]), %%rdx\n\t"
        "xorl %%eax, %%eax\n\t"
        "mulxq 0(%[a]), %[t0], %[t1]\n\t"
        "mulxq 8(%[a]), %[lo], %[t2]\n\t"
        "adcxq %[lo], %[t1]\n\t"
        "mulxq 16(%[a]), %[lo], %[t3]\n\t"
        "adcxq %[lo], %[t2]\n\t"
        "mulxq 24(%[a]), %[lo], %[t4]\n\t"
        "adcxq %[lo], %[t3]\n\t"
        "adcxq %%rax, %[t4]\n\t"
        "movq %[t0], %%rdx\n\t"
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
        "mulxq 24(%[p]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t3]\n\t"
        "adoxq %[hi], %[t4]\n\t"
        "adcxq %%rax, %[t4]\n\t"
        "movq 8(%[b]), %%rdx\n\t"
        "xorl %%eax, %%eax\n\t"
        "movq $0, %[t0]\n\t"
        "mulxq 0(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t1]\n\t"
        "adoxq %[hi], %[t2]\n\t"
        "mulxq 8(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t2]\n\t"
        "adoxq %[hi], %[t3]\n\t"
        "mulxq 16(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t3]\n\t"
        "adoxq %[hi], %[t4]\n\t"
        "mulxq 24(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t4]\n\t"
        "adoxq %[hi], %[t0]\n\t"
        "adcxq %%rax, %[t0]\n\t"
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
        "adoxq %[hi], %[t4]\n\t"
        "mulxq 24(%[p]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t4]\n\t"
        "adoxq %[hi], %[t0]\n\t"
        "adcxq %%rax, %[t0]\n\t"
        "movq 16(%[b]), %%rdx\n\t"
        "xorl %%eax, %%eax\n\t"
        "movq $0, %[t1]\n\t"
        "mulxq 0(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t2]\n\t"
        "adoxq %[hi], %[t3]\n\t"
        "mulxq 8(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t3]\n\t"
        "adoxq %[hi], %[t4]\n\t"
        "mulxq 16(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t4]\n\t"
        "adoxq %[hi], %[t0]\n\t"
        "mulxq 24(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t0]\n\t"
        "adoxq %[hi], %[t1]\n\t"
        "adcxq %%rax, %[t1]\n\t"
        "movq %[t2], %%rdx\n\t"
        "imulq 32(%[p]), %%rdx\n\t"
        "xorl %%eax, %%eax\n\t"
        "mulxq 0(%[p]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t2]\n\t"
        "adoxq %[hi], %[t3]\n\t"
        "mulxq 8(%[p]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t3]\n\t"
        "adoxq %[hi], %[t4]\n\t"
        "mulxq 16(%[p]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t4]\n\t"
        "adoxq %[hi], %[t0]\n\t"
        "mulxq 24(%[p]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t0]\n\t"
        "adoxq %[hi], %[t1]\n\t"
        "adcxq %%rax, %[t1]\n\t"
        "movq 24(%[b]), %%rdx\n\t"
        "xorl %%eax, %%eax\n\t"
        "movq $0, %[t2]\n\t"
        "mulxq 0(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t3]\n\t"
        "adoxq %[hi], %[t4]\n\t"
        "mulxq 8(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t4]\n\t"
        "adoxq %[hi], %[t0]\n\t"
        "mulxq 16(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t0]\n\t"
        "adoxq %[hi], %[t1]\n\t"
        "mulxq 24(%[a]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t1]\n\t"
        "adoxq %[hi], %[t2]\n\t"
        "adcxq %%rax, %[t2]\n\t"
        "movq %[t3], %%rdx\n\t"
        "imulq 32(%[p]), %%rdx\n\t"
        "xorl %%eax, %%eax\n\t"
        "mulxq 0(%[p]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t3]\n\t"
        "adoxq %[hi], %[t4]\n\t"
        "mulxq 8(%[p]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t4]\n\t"
        "adoxq %[hi], %[t0]\n\t"
        "mulxq 16(%[p]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t0]\n\t"
        "adoxq %[hi], %[t1]\n\t"
        "mulxq 24(%[p]), %[lo], %[hi]\n\t"
        "adcxq %[lo], %[t1]\n\t"
        "adoxq %[hi], %[t2]\n\t"
        "adcxq %%rax, %[t2]\n\t"
        : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [lo] "=&r"(lo), [hi] "=&r"(hi)
        : [a] "r"(a.v), [b] "r"(b.v), [p] "r"(PINV), "m"(*(const uint64_t(*)[4])a.v), "m"(*(const uint64_t(*)[4])b.v),
          "m"(*(const uint64_t(*)[5])PINV)
        : "rax", "rdx", "cc");
    Fp r{{t4, t0, t1, t2}};
    sub_p_if_needed(r.v);
    return r;
  }
#else
  friend ZK_INLINE Fp operator*(const Fp& a, const Fp& b) { return mul_portable(a, b); }
#endif
  ZK_INLINE Fp sqr() const { return *this * *this; }

  friend ZK_INLINE Fp operator+(const Fp& a, const Fp& b) {
    Fp r;
    unsigned long long r0, r1, r2, r3;
    unsigned char c = 0;
    c = _addcarry_u64(c, a.v[0], b.v[0], &r0);
    c = _addcarry_u64(c, a.v[1], b.v[1], &r1);
    c = _addcarry_u64(c, a.v[2], b.v[2], &r2);
    c = _addcarry_u64(c, a.v[3], b.v[3], &r3);
    r.v[0] = r0, r.v[1] = r1, r.v[2] = r2, r.v[3] = r3;
    sub_p_if_needed(r.v);
    return r;
  }
  friend ZK_INLINE Fp operator-(const Fp& a, const Fp& b) {
    unsigned long long r0, r1, r2, r3;
    unsigned char br = 0;
    br = _subborrow_u64(br, a.v[0], b.v[0], &r0);
    br = _subborrow_u64(br, a.v[1], b.v[1], &r1);
    br = _subborrow_u64(br, a.v[2], b.v[2], &r2);
    br = _subborrow_u64(br, a.v[3], b.v[3], &r3);
    uint64_t mask = 0 - (uint64_t)br;  // add p back when it borrowed
    unsigned char c = 0;
    c = _addcarry_u64(c, r0, Params::P[0] & mask, &r0);
    c = _addcarry_u64(c, r1, Params::P[1] & mask, &r1);
    c = _addcarry_u64(c, r2, Params::P[2] & mask, &r2);
    c = _addcarry_u64(c, r3, Params::P[3] & mask, &r3);
    return Fp{{r0, r1, r2, r3}};
  }
  ZK_INLINE Fp neg() const { return is_zero() ? *this : zero() - *this; }
  ZK_INLINE Fp dbl() const { return *this + *this; }

  // Montgomery <-> standard conversions
  static ZK_INLINE Fp from_std(const uint64_t* a) {
    Fp x;
    std::memcpy(x.v, a, 32);
    Fp r2{{Params::R2[0], Params::R2[1], Params::R2[2], Params::R2[3]}};
    return x * r2;
  }
  inline void to_std(uint64_t* out) const {
    Fp o{{1, 0, 0, 0}};
    Fp r = *this * o;
    std::memcpy(out, r.v, 32);
  }

  // exponent as plain 4-limb integer
  inline Fp pow(const uint64_t* e) const {
    Fp r = one();
    for (int i = 255; i >= 0; i--) {
      r = r.sqr();
      if ((e[i >> 6] >> (i & 63)) & 1) r = r * *this;
    }
    return r;
  }
  // Fermat inversion; inverse of zero is zero. The reference inv() is tested against.
  inline Fp inv_fermat() const {
    uint64_t e[4] = {Params::P[0] - 2, Params::P[1], Params::P[2], Params::P[3]};
    return pow(e);
  }
  // Inversion by safegcd (modinv.hpp), variable time; inverse of zero is zero. On the Montgomery form x·R it gives
  // (x·R)⁻¹ = x⁻¹·R⁻¹, and one Montgomery product by R³ makes that x⁻¹·R.
  inline Fp inv() const {
    static const modinv::Modulus mod = modinv::modulus_of(Params::P);
    static const Fp r3 = Fp{{Params::R2[0], Params::R2[1], Params::R2[2], Params::R2[3]}} * Fp{{Params::R2[0], Params::R2[1], Params::R2[2], Params::R2[3]}};
    Fp raw;
    modinv::inverse(v, mod, raw.v);
    return raw * r3;
  }
};

typedef Fp<FqParams> Fq;
typedef Fp<FrParams> Fr;

// Fq2 = Fq[u] / (u^2 + 1)
struct Fq2 {
  Fq c0, c1;
  static ZK_INLINE Fq2 zero() { return Fq2{Fq::zero(), Fq::zero()}; }
  static ZK_INLINE Fq2 one() { return Fq2{Fq::one(), Fq::zero()}; }
  ZK_INLINE bool is_zero() const { return c0.is_zero() && c1.is_zero(); }
  ZK_INLINE bool operator==(const Fq2& o) const { return c0 == o.c0 && c1 == o.c1; }
  inline bool operator!=(const Fq2& o) const { return !(*this == o); }
  friend ZK_INLINE Fq2 operator+(const Fq2& a, const Fq2& b) { return Fq2{a.c0 + b.c0, a.c1 + b.c1}; }
  friend ZK_INLINE Fq2 operator-(const Fq2& a, const Fq2& b) { return Fq2{a.c0 - b.c0, a.c1 - b.c1}; }
  friend ZK_INLINE Fq2 operator*(const Fq2& a, const Fq2& b) {
    Fq t0 = a.c0 * b.c0, t1 = a.c1 * b.c1;
    Fq t2 = (a.c0 + a.c1) * (b.c0 + b.c1);
    return Fq2{t0 - t1, t2 - t0 - t1};
  }
  ZK_INLINE Fq2 sqr() const {
    Fq t = c0 * c1;
    return Fq2{(c0 + c1) * (c0 - c1), t + t};
  }
  ZK_INLINE Fq2 neg() const { return Fq2{c0.neg(), c1.neg()}; }
  ZK_INLINE Fq2 dbl() const { return *this + *this; }
  inline Fq2 inv() const {
    Fq n = (c0.sqr() + c1.sqr()).inv();
    return Fq2{c0 * n, (c1 * n).neg()};
  }
};

}  // namespace zk
