// zkai native engine: Pippenger MSM, radix-2 NTT, Groth16 quotient, fixed-base and sparse
// scalar multiplication over BN254. One translation unit so the whole engine builds in one
// compiler invocation (CI has 2 cores).
#include "engine.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <system_error>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "curve.hpp"
#include "simd.hpp"

namespace zk {

typedef Affine<Fq> G1A;
typedef XYZZ<Fq> G1P;
typedef Affine<Fq2> G2A;
typedef XYZZ<Fq2> G2P;

// ---------------------------------------------------------------- threads

int engine_threads() {
  static int n = [] {
    const char* env = std::getenv("ZKAI_NATIVE_THREADS");
    if (env) {
      int v = std::atoi(env);
      if (v >= 1 && v <= 1024) return v;
    }
    unsigned h = std::thread::hardware_concurrency();
    return h == 0 ? 1 : (int)h;
  }();
  return n;
}

std::string engine_version() {
  std::string v = "zkai-native 0.1 (";
#if defined(__x86_64__)
  v += "x86_64";
#elif defined(__aarch64__)
  v += "aarch64";
#else
  v += "generic";
#endif
#if defined(__ADX__) && defined(__BMI2__)
  v += ", adx";
#endif
#if ZK_HAVE_IFMA
  v += simd::enabled() ? ", avx512-ifma" : ", avx512-ifma off";
#endif
  v += ")";
  return v;
}

// Runs fn(task) for task in [0, nTasks) on up to `threads` threads (the caller's thread included),
// handing out tasks dynamically so uneven tasks balance.
template <class Fn>
static void parallel_for(size_t nTasks, int threads, Fn fn) {
  if (nTasks == 0) return;
  size_t nt = std::min<size_t>((size_t)std::max(threads, 1), nTasks);
  if (nt <= 1) {
    for (size_t i = 0; i < nTasks; i++) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failureMu;
  // An exception (bad_alloc) in a task stops the remaining tasks and is rethrown on the calling thread;
  // it must never escape a std::thread (that would terminate the process).
  auto worker = [&] {
    try {
      for (;;) {
        size_t i = next.fetch_add(1);
        if (i >= nTasks) return;
        fn(i);
      }
    } catch (...) {
      next.store(nTasks);
      std::lock_guard<std::mutex> lock(failureMu);
      if (!failure) failure = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(nt - 1);
  for (size_t t = 1; t < nt; t++) {
    try {
      pool.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // fewer threads than asked for: the remaining ones share the tasks
    }
  }
  worker();
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

// Splits [0, n) into chunks of at least `minChunk` and runs fn(begin, end) in parallel.
template <class Fn>
static void parallel_range(size_t n, size_t minChunk, int threads, Fn fn) {
  if (n == 0) return;
  size_t chunks = std::max<size_t>(1, std::min<size_t>((size_t)threads * 4, (n + minChunk - 1) / minChunk));
  size_t per = (n + chunks - 1) / chunks;
  chunks = (n + per - 1) / per;
  parallel_for(chunks, threads, [&](size_t c) { fn(c * per, std::min(n, (c + 1) * per)); });
}

// ---------------------------------------------------------------- scalars

struct Scalar {
  uint64_t v[4];
};

static inline Scalar load_scalar(const uint8_t* p) {
  Scalar s;
  std::memcpy(s.v, p, 32);
  return s;
}
static inline bool scalar_is_zero(const Scalar& s) { return (s.v[0] | s.v[1] | s.v[2] | s.v[3]) == 0; }
static inline bool scalar_is_one(const Scalar& s) { return s.v[0] == 1 && (s.v[1] | s.v[2] | s.v[3]) == 0; }
static inline int scalar_bitlen(const Scalar& s) {
  for (int i = 3; i >= 0; i--)
    if (s.v[i]) return 64 * i + 64 - __builtin_clzll(s.v[i]);
  return 0;
}
static inline uint64_t scalar_bits(const Scalar& s, int pos, int width) {
  int limb = pos >> 6, off = pos & 63;
  if (limb >= 4) return 0;
  uint64_t w = s.v[limb] >> off;
  if (off + width > 64 && limb + 1 < 4) w |= s.v[limb + 1] << (64 - off);
  return w & ((width == 64) ? ~0ULL : ((1ULL << width) - 1));
}
// r - s (s nonzero, canonical)
static inline Scalar scalar_neg(const Scalar& s) {
  Scalar r;
  u128 borrow = 0;
  for (int i = 0; i < 4; i++) {
    u128 d = (u128)FrParams::P[i] - s.v[i] - (uint64_t)borrow;
    r.v[i] = (uint64_t)d;
    borrow = (d >> 64) & 1;
  }
  return r;
}
static inline bool scalar_gt_half_r(const Scalar& s) {
  static const uint64_t H[4] = {0xa1f0fac9f8000000ULL, 0x9419f4243cdcb848ULL, 0xdc2822db40c0ac2eULL, 0x183227397098d014ULL};
  for (int i = 3; i >= 0; i--)
    if (s.v[i] != H[i]) return s.v[i] > H[i];
  return false;
}

bool fr_is_canonical(const uint8_t* le32) {
  uint64_t v[4];
  std::memcpy(v, le32, 32);
  return Fr::is_canonical(v);
}

// ---- GLV for G1: φ(x, y) = (β·x, y) equals λ·(x, y), so k·P = k1·P + k2·φ(P) with |k1|, |k2| < 2^128.
static const Fq GLV_BETA = {{0x71930c11d782e155ULL, 0xa6bb947cffbe3323ULL, 0xaa303344d4741444ULL, 0x2c3b3f0d26594943ULL}};
// Short lattice basis (a1, -b1n), (a2, b2) of {(x, y): x + y·λ ≡ 0 mod r} and floor(2^256·b2/r), floor(2^256·b1n/r).
static const uint64_t GLV_A1[4] = {0x89d3256894d213e3ULL, 0, 0, 0};
static const uint64_t GLV_B1N[4] = {0x8211bbeb7d4f1128ULL, 0x6f4d8248eeb859fcULL, 0, 0};
static const uint64_t GLV_A2[4] = {0x0be4e1541221250bULL, 0x6f4d8248eeb859fdULL, 0, 0};
static const uint64_t GLV_B2[4] = {0x89d3256894d213e3ULL, 0, 0, 0};
static const uint64_t GLV_G1[4] = {0xd91d232ec7e0b3d7ULL, 0x2ULL, 0, 0};
static const uint64_t GLV_G2[4] = {0x7a7bd9d4391eb18dULL, 0x4ccef014a773d2cfULL, 0x2ULL, 0};

// full 512-bit product of 4-limb integers
static void mul_wide(const uint64_t* a, const uint64_t* b, uint64_t* out8) {
  uint64_t r[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 4; i++) {
    u128 c = 0;
    for (int j = 0; j < 4; j++) {
      c += (u128)a[i] * b[j] + r[i + j];
      r[i + j] = (uint64_t)c;
      c >>= 64;
    }
    r[i + 4] = (uint64_t)c;
  }
  std::memcpy(out8, r, 64);
}
static void sub_mod256(uint64_t* a, const uint64_t* b) {
  u128 br = 0;
  for (int i = 0; i < 4; i++) {
    u128 t = (u128)a[i] - b[i] - (uint64_t)br;
    a[i] = (uint64_t)t;
    br = (t >> 64) & 1;
  }
}

// k ≡ k1 + k2·λ (mod r); returns |k1|, |k2| and their signs.
static void glv_split(const Scalar& k, Scalar& k1, bool& neg1, Scalar& k2, bool& neg2) {
  uint64_t w[8], c1[4], c2[4], t[8];
  mul_wide(k.v, GLV_G1, w);
  std::memcpy(c1, w + 4, 32);
  mul_wide(k.v, GLV_G2, w);
  std::memcpy(c2, w + 4, 32);
  uint64_t x[4], y[4];
  std::memcpy(x, k.v, 32);  // k1 = k - c1·a1 - c2·a2
  mul_wide(c1, GLV_A1, t);
  sub_mod256(x, t);
  mul_wide(c2, GLV_A2, t);
  sub_mod256(x, t);
  mul_wide(c1, GLV_B1N, t);  // k2 = c1·b1n - c2·b2
  std::memcpy(y, t, 32);
  mul_wide(c2, GLV_B2, t);
  sub_mod256(y, t);
  auto split = [](uint64_t* v, Scalar& mag, bool& neg) {
    neg = (v[3] >> 63) != 0;
    if (neg) {
      uint64_t z[4] = {0, 0, 0, 0};
      sub_mod256(z, v);
      std::memcpy(v, z, 32);
    }
    std::memcpy(mag.v, v, 32);
  };
  split(x, k1, neg1);
  split(y, k2, neg2);
}

// ---- G2: ψ(x, y) = (conj(x)·cx, conj(y)·cy) (untwist-Frobenius-twist) equals μ·(x, y) with μ = q mod r
// (~2^127), so k·Q = (k mod μ)·Q + (k div μ)·ψ(Q), both halves below 2^128.
static const Fq2 PSI_CX = {{{0xb5773b104563ab30ULL, 0x347f91c8a9aa6454ULL, 0x7a007127242e0991ULL, 0x1956bcd8118214ecULL}},
                           {{0x6e849f1ea0aa4757ULL, 0xaa1c7b6d89f89141ULL, 0xb6e713cdfae0ca3aULL, 0x26694fbb4e82ebc3ULL}}};
static const Fq2 PSI_CY = {{{0xe4bbdd0c2936b629ULL, 0xbb30f162e133bacbULL, 0x31a9d1b6f9645366ULL, 0x253570bea500f8ddULL}},
                           {{0xa1d77ce45ffe77c7ULL, 0x07affd117826d1dbULL, 0x6d16bd27bb7edc6bULL, 0x2c87200285defeccULL}}};
static const uint64_t PSI_MU[4] = {0xf83e9682e87cfd46ULL, 0x6f4d8248eeb859fbULL, 0, 0};
static const uint64_t PSI_MU_RECIP[4] = {0x2cb62031c8e01941ULL, 0x4ccef014a773d2d5ULL, 0x2ULL, 0};  // floor(2^256 / μ)

static inline G2A psi(const G2A& p) {
  if (p.is_inf()) return p;
  return G2A{Fq2{p.x.c0, p.x.c1.neg()} * PSI_CX, Fq2{p.y.c0, p.y.c1.neg()} * PSI_CY};
}

static inline bool geq256(const uint64_t* a, const uint64_t* b) {
  for (int i = 3; i >= 0; i--)
    if (a[i] != b[i]) return a[i] > b[i];
  return true;
}

// k = k1 + k2·μ with 0 <= k1 < μ: quotient estimated with the reciprocal, then corrected.
static void psi_split(const Scalar& k, Scalar& k1, Scalar& k2) {
  uint64_t w[8], t[8];
  mul_wide(k.v, PSI_MU_RECIP, w);
  std::memcpy(k2.v, w + 4, 32);
  mul_wide(k2.v, PSI_MU, t);
  std::memcpy(k1.v, k.v, 32);
  sub_mod256(k1.v, t);
  while (geq256(k1.v, PSI_MU)) {
    sub_mod256(k1.v, PSI_MU);
    uint64_t one[4] = {1, 0, 0, 0};
    uint64_t z[4] = {0, 0, 0, 0};
    sub_mod256(z, one);  // z = -1
    sub_mod256(k2.v, z);  // k2 += 1
  }
}

// ---------------------------------------------------------------- MSM (Pippenger)

// Window width minimising (windows) × (additions per window); a bucket-reduction step costs about
// `reduceWeight` bucket additions (batch-affine additions are cheap, reductions are full XYZZ additions).
static int choose_window(size_t m, int bits, double reduceWeight) {
  int best = 1;
  double bestCost = 1e300;
  for (int c = 1; c <= 16; c++) {
    double nw = (bits + 1 + c - 1) / c;
    double cost = nw * ((double)m + reduceWeight * (double)(1u << c));
    if (cost < bestCost) {
      bestCost = cost;
      best = c;
    }
  }
  return best;
}

// In-place inverses of d[0..n) (all nonzero) with one field inversion (Montgomery's trick; vectorised where the
// CPU has AVX-512 IFMA, see simd.hpp).
static void batch_inverse(Fq* d, size_t n, std::vector<Fq>& scratch) { simd::batch_inverse_many(d, n, scratch); }
// Fq2: 1/d = conj(d) / N(d) with the norm N(d) = c0² + c1² in Fq, so the batch runs in the base field.
static void batch_inverse(Fq2* d, size_t n, std::vector<Fq>& scratch) {
  if (n == 0) return;
  std::vector<Fq> sq(2 * n), norms(n);
  Fq* dv = &d[0].c0;
  simd::sqr_many(dv, sq.data(), 2 * n);
  for (size_t k = 0; k < n; k++) norms[k] = sq[2 * k] + sq[2 * k + 1];
  batch_inverse(norms.data(), n, scratch);
  for (size_t k = 0; k < n; k++) sq[2 * k] = sq[2 * k + 1] = norms[k];
  simd::mul_many(dv, sq.data(), dv, 2 * n);
  for (size_t k = 0; k < n; k++) d[k].c1 = d[k].c1.neg();
}

// Batched products for the batch-affine step, in G1 (Fq) and G2 (Fq2).
static inline void mul_batch(const Fq* a, const Fq* b, Fq* out, size_t n, std::vector<Fq>&) { simd::mul_many(a, b, out, n); }
static inline void sqr_batch(const Fq* a, Fq* out, size_t n, std::vector<Fq>&) { simd::sqr_many(a, out, n); }
static inline void mul_batch(const Fq2* a, const Fq2* b, Fq2* out, size_t n, std::vector<Fq>& s) { simd::fq2_mul_many(a, b, out, n, s); }
static inline void sqr_batch(const Fq2* a, Fq2* out, size_t n, std::vector<Fq>& s) { simd::fq2_sqr_many(a, out, n, s); }

// Bucket sums Σ b·bucket[b] via the running-sum trick.
template <class F>
static XYZZ<F> reduce_buckets(const XYZZ<F>* buckets, int half) {
  XYZZ<F> running = XYZZ<F>::inf(), sum = XYZZ<F>::inf();
  for (int b = half - 1; b >= 0; b--) {
    running.add(buckets[b]);
    sum.add(running);
  }
  return sum;
}

// One window with XYZZ buckets (small inputs).
template <class F>
static XYZZ<F> window_xyzz(const Affine<F>* bases, const uint32_t* idx, const int32_t* dk, size_t m, int half) {
  std::vector<XYZZ<F>> buckets(half, XYZZ<F>::inf());
  for (size_t j = 0; j < m; j++) {
    int32_t d = dk[j];
    if (d > 0) {
      buckets[d - 1].add_affine(bases[idx[j]]);
    } else if (d < 0) {
      buckets[-d - 1].add_affine(bases[idx[j]].neg());
    }
  }
  return reduce_buckets(buckets.data(), half);
}

// Affine addition A + P in two steps so that many additions can share one inversion: the denominator
// (P.x − A.x, or 2·A.y to double; 1 for P + (−P), which needs no inverse), then the sum given its inverse.
template <class F>
static inline F affine_add_denominator(const Affine<F>& A, const Affine<F>& P) {
  F dx = P.x - A.x;
  if (dx.is_zero()) dx = (P.y == A.y) ? A.y.dbl() : F::one();
  return dx;
}

// A += P given the inverse of affine_add_denominator(A, P). Returns false when the sum is infinity (P = −A).
template <class F>
static inline bool affine_add_with_inverse(Affine<F>& A, const Affine<F>& P, const F& ik) {
  F lambda;
  if (P.x == A.x) {
    if (P.y != A.y) return false;
    F xx = A.x.sqr();
    lambda = (xx.dbl() + xx) * ik;
  } else {
    lambda = (P.y - A.y) * ik;
  }
  F x3 = lambda.sqr() - A.x - P.x;
  A.y = lambda * (A.x - x3) - A.y;
  A.x = x3;
  return true;
}

static const size_t BATCH_AFFINE_MIN = 1 << 11;

// One window with affine buckets updated in batches that share one inversion (about 6 multiplications
// per addition instead of 10). A point whose bucket is already in the current batch goes to that
// bucket's XYZZ overflow accumulator instead, so repeated buckets never degrade the batching.
template <class F>
static XYZZ<F> window_batch_affine(const Affine<F>* bases, const uint32_t* idx, const int32_t* dk, size_t m, int half, int used) {
  // Batch size: a quarter of the buckets this window's digits can reach (`used`; the top window of scalars
  // narrower than the windows reaches few), so that a point rarely finds its bucket already in the batch.
  const size_t B = std::max<size_t>(16, std::min<size_t>(1024, (size_t)used / 4));
  std::vector<Affine<F>> bucket(half);
  std::vector<uint8_t> full(half, 0);
  std::vector<uint32_t> stamp(half, 0);
  std::vector<XYZZ<F>> overflow(half, XYZZ<F>::inf());
  std::vector<uint32_t> bIdx(B);
  std::vector<Affine<F>> addend(B);
  std::vector<F> denom(B);
  std::vector<Fq> scratch;
  size_t cnt = 0;
  uint32_t batchId = 1;

  // The slope numerators and each step's products, as arrays so that the products run in batches (simd.hpp).
  // `cancel` marks P = −A (the bucket empties).
  std::vector<F> num(B), lam(B), aux(B);
  std::vector<uint8_t> cancel(B);
  std::vector<Fq> mulScratch;

  // λ = (P.y − A.y)/(P.x − A.x), or 3·A.x²/(2·A.y) to double; x3 = λ² − A.x − P.x, y3 = λ·(A.x − x3) − A.y.
  // Step 1 for entry k: the slope's numerator and denominator (the denominators are then inverted together).
  auto slope_terms = [&](size_t k) {
    const Affine<F>& A = bucket[bIdx[k]];
    const Affine<F>& P = addend[k];
    cancel[k] = 0;
    if (P.x != A.x) {
      denom[k] = P.x - A.x;
      num[k] = P.y - A.y;
    } else if (P.y == A.y) {
      denom[k] = A.y.dbl();
      F xx = A.x.sqr();
      num[k] = xx.dbl() + xx;
    } else {
      denom[k] = F::one();
      num[k] = F::zero();
      cancel[k] = 1;
    }
  };
  // Step 2 for entry k, one product at a time (given the inverted denominator).
  auto finish_one = [&](size_t k) {
    Affine<F>& A = bucket[bIdx[k]];
    if (cancel[k]) {
      full[bIdx[k]] = 0;
      return;
    }
    F l = num[k] * denom[k];
    F x3 = l.sqr() - A.x - addend[k].x;
    A.y = l * (A.x - x3) - A.y;
    A.x = x3;
  };

#if ZK_HAVE_IFMA
  // The vector path: every step of eight additions at once in radix 2^52 (simd::VecOps: Fq for G1, Fq2 for G2),
  // bucket coordinates gathered and scattered in place (a batch's buckets are distinct, so scatters cannot
  // collide). A block of eight with a doubling or a cancellation (P.x = A.x: rare) takes the scalar steps.
  std::vector<uint8_t> scalarBlock(B / 8 + 1);
  auto flush_vector = [&] {
    typedef simd::VecOps<F> Ops;
    typedef typename Ops::V V;
    constexpr int words = 1 << Ops::logRecord;  // per point; y starts half-way
    uint64_t* bw = reinterpret_cast<uint64_t*>(bucket.data());
    const uint64_t* aw = reinterpret_cast<const uint64_t*>(addend.data());
    const __m512i lanes = _mm512_setr_epi64(0, words, 2 * words, 3 * words, 4 * words, 5 * words, 6 * words, 7 * words);
    const auto addendOffsets = [&](size_t g) { return _mm512_add_epi64(lanes, _mm512_set1_epi64((long long)(8 * words * g))); };
    const size_t blocks = cnt / 8;
    for (size_t g = 0; g < blocks; g++) {
      const __m512i rec = simd::record_offsets<Ops::logRecord>(&bIdx[8 * g]);
      const __m512i add = addendOffsets(g);
      V dx = Ops::sub(Ops::gather(aw, add, 0), Ops::gather(bw, rec, 0));
      scalarBlock[g] = Ops::zeros(dx) != 0;
      if (scalarBlock[g]) {
        for (size_t k = 8 * g; k < 8 * g + 8; k++) slope_terms(k);
        continue;
      }
      Ops::store_run(dx, &denom[8 * g]);
      Ops::store_run(Ops::sub(Ops::gather(aw, add, words / 2), Ops::gather(bw, rec, words / 2)), &num[8 * g]);
    }
    for (size_t k = 8 * blocks; k < cnt; k++) slope_terms(k);
    batch_inverse(denom.data(), cnt, scratch);
    for (size_t g = 0; g < blocks; g++) {
      if (scalarBlock[g]) {
        for (size_t k = 8 * g; k < 8 * g + 8; k++) finish_one(k);
        continue;
      }
      const __m512i rec = simd::record_offsets<Ops::logRecord>(&bIdx[8 * g]);
      V l = Ops::mul(Ops::load_run(&num[8 * g]), Ops::load_run(&denom[8 * g]));
      V ax = Ops::gather(bw, rec, 0);
      V x3 = Ops::sub(Ops::sub(Ops::sqr(l), ax), Ops::gather(aw, addendOffsets(g), 0));
      V y3 = Ops::sub(Ops::mul(l, Ops::sub(ax, x3)), Ops::gather(bw, rec, words / 2));
      Ops::scatter(bw, rec, 0, x3);
      Ops::scatter(bw, rec, words / 2, y3);
    }
    for (size_t k = 8 * blocks; k < cnt; k++) finish_one(k);
  };
#endif

  auto flush = [&] {
    if (cnt == 0) return;
#if ZK_HAVE_IFMA
    if (simd::enabled()) {
      flush_vector();
      cnt = 0;
      batchId++;
      return;
    }
#endif
    for (size_t k = 0; k < cnt; k++) slope_terms(k);
    batch_inverse(denom.data(), cnt, scratch);
    mul_batch(num.data(), denom.data(), lam.data(), cnt, mulScratch);
    sqr_batch(lam.data(), aux.data(), cnt, mulScratch);
    for (size_t k = 0; k < cnt; k++) {
      Affine<F>& A = bucket[bIdx[k]];
      if (cancel[k]) {
        full[bIdx[k]] = 0;
        continue;
      }
      F x3 = aux[k] - A.x - addend[k].x;
      aux[k] = A.x - x3;
      A.x = x3;
    }
    mul_batch(lam.data(), aux.data(), aux.data(), cnt, mulScratch);
    for (size_t k = 0; k < cnt; k++) {
      if (cancel[k]) continue;
      Affine<F>& A = bucket[bIdx[k]];
      A.y = aux[k] - A.y;
    }
    cnt = 0;
    batchId++;
  };

  struct Deferred {
    uint32_t b;
    Affine<F> p;
  };
  std::vector<Deferred> queue, drained;
  const size_t QMAX = B;
  auto insert = [&](uint32_t b, const Affine<F>& P) {
    if (stamp[b] == batchId) {
      if (queue.size() < QMAX)
        queue.push_back(Deferred{b, P});
      else
        overflow[b].add_affine(P);
      return;
    }
    if (!full[b]) {
      bucket[b] = P;
      full[b] = 1;
      return;
    }
    stamp[b] = batchId;
    bIdx[cnt] = b;
    addend[cnt] = P;
    cnt++;
  };
  // After a flush, retry the deferred points first (their buckets are free again).
  auto drain = [&] {
    drained.swap(queue);
    queue.clear();
    for (const Deferred& q : drained) {
      insert(q.b, q.p);
      if (cnt == B) flush();
    }
  };

  for (size_t j = 0; j < m; j++) {
    int32_t d = dk[j];
    if (d == 0) continue;
    uint32_t b = (uint32_t)((d > 0 ? d : -d) - 1);
    insert(b, d > 0 ? bases[idx[j]] : bases[idx[j]].neg());
    if (cnt == B) {
      flush();
      drain();
    }
  }
  flush();
  // Tail: small leftovers go straight to the XYZZ accumulators rather than paying an inversion each round.
  while (!queue.empty()) {
    if (queue.size() < 32) {
      for (const Deferred& q : queue) overflow[q.b].add_affine(q.p);
      break;
    }
    drain();
    flush();
  }
  // Running-sum reduction straight from the affine buckets (mixed additions), plus the rare overflow.
  XYZZ<F> running = XYZZ<F>::inf(), sum = XYZZ<F>::inf();
  for (int b = half - 1; b >= 0; b--) {
    if (full[b]) running.add_affine(bucket[b]);
    running.add(overflow[b]);
    sum.add(running);
  }
  return sum;
}

template <class F>
static XYZZ<F> msm_core(const Affine<F>* bases, const Scalar* scalars, size_t n, int threads) {
  // Zero scalars contribute nothing; scalar-one points are summed directly.
  std::vector<uint32_t> idx;
  idx.reserve(n);
  XYZZ<F> ones = XYZZ<F>::inf();
  for (size_t i = 0; i < n; i++) {
    if (scalar_is_zero(scalars[i]) || bases[i].is_inf()) continue;
    if (scalar_is_one(scalars[i])) {
      ones.add_affine(bases[i]);
      continue;
    }
    idx.push_back((uint32_t)i);
  }
  const size_t m = idx.size();
  if (m == 0) return ones;

  // Only as many windows as the widest scalar needs (witness values are often small).
  int bits = 1;
  for (size_t j = 0; j < m; j++) bits = std::max(bits, scalar_bitlen(scalars[idx[j]]));
  int c = choose_window(m, bits, 3.0);
  // Batch-affine pays off with many points per window and enough buckets to fill a batch.
  const bool batchAffine = m >= BATCH_AFFINE_MIN && c >= 9;
  if (!batchAffine) c = choose_window(m, bits, 1.4);
  const int nw = (bits + 1 + c - 1) / c;  // c·nw > bits: the top signed digit never carries out
  const int half = 1 << (c - 1);

  // Signed digits, window-major so each window scans its digits sequentially.
  std::vector<int32_t> digits((size_t)nw * m);
  parallel_range(m, 4096, threads, [&](size_t b, size_t e) {
    for (size_t j = b; j < e; j++) {
      const Scalar& s = scalars[idx[j]];
      uint64_t carry = 0;
      for (int k = 0; k < nw; k++) {
        uint64_t d = scalar_bits(s, k * c, c) + carry;
        int32_t sd;
        if (d > (uint64_t)half) {
          sd = (int32_t)d - (1 << c);
          carry = 1;
        } else {
          sd = (int32_t)d;
          carry = 0;
        }
        digits[(size_t)k * m + j] = sd;
      }
    }
  });

  std::vector<XYZZ<F>> windowSums(nw, XYZZ<F>::inf());
  parallel_for((size_t)nw, threads, [&](size_t k) {
    const int32_t* dk = &digits[k * m];
    // Digits of window k are at most 2^(bits − k·c) + 1 in magnitude (the carry), so few buckets in the top one.
    const int rest = bits - (int)k * c;
    const int used = rest >= c ? half : std::min(half, (1 << std::max(rest, 0)) + 1);
    windowSums[k] = batchAffine ? window_batch_affine<F>(bases, idx.data(), dk, m, half, used) : window_xyzz<F>(bases, idx.data(), dk, m, half);
  });
  XYZZ<F> r = windowSums[nw - 1];
  for (int k = nw - 2; k >= 0; k--) {
    for (int i = 0; i < c; i++) r.dbl_inplace();
    r.add(windowSums[k]);
  }
  r.add(ones);
  return r;
}

template <class F>
static void store_affine(const Affine<F>& a, uint8_t* out) {
  std::memcpy(out, &a.x, sizeof(F));
  std::memcpy(out + sizeof(F), &a.y, sizeof(F));
}

// k·P as k1·P1 + k2·P2 with k1, k2 below 2^128 through the group's endomorphism: GLV's φ in G1 (signed
// halves, folded into the points), ψ in G2 (k mod μ and k div μ need no signs).
static inline void endo_split(const Scalar& k, const G1A& p, Scalar& k1, G1A& p1, Scalar& k2, G1A& p2) {
  bool neg1, neg2;
  glv_split(k, k1, neg1, k2, neg2);
  G1A q{p.x * GLV_BETA, p.y};
  p1 = neg1 ? p.neg() : p;
  p2 = neg2 ? q.neg() : q;
}
static inline void endo_split(const Scalar& k, const G2A& p, Scalar& k1, G2A& p1, Scalar& k2, G2A& p2) {
  psi_split(k, k1, k2);
  p1 = p;
  p2 = psi(p);
}

template <class F>
static void msm_bytes(const uint8_t* bases, const uint8_t* scalars, size_t n, uint8_t* out) {
  std::vector<Affine<F>> b(n);
  if (n) std::memcpy(b.data(), bases, n * sizeof(Affine<F>));
  std::vector<Scalar> s(n);
  if (n) std::memcpy(s.data(), scalars, n * 32);
  // When enough scalars are wide, halve them: twice the points but half the windows (and so half the bucket
  // reductions).
  size_t wide = 0;
  for (size_t i = 0; i < n; i++)
    if (scalar_bitlen(s[i]) > 128) wide++;
  if (wide * 4 >= n && wide > 0) {
    b.resize(n + wide);
    s.resize(n + wide);
    size_t extra = n;
    for (size_t i = 0; i < n; i++) {
      if (scalar_bitlen(s[i]) <= 128 || b[i].is_inf()) continue;
      const Scalar k = s[i];
      const Affine<F> p = b[i];
      endo_split(k, p, s[i], b[i], s[extra], b[extra]);
      extra++;
    }
    b.resize(extra);
    s.resize(extra);
    n = extra;
  }
  XYZZ<F> r = msm_core<F>(b.data(), s.data(), n, engine_threads());
  store_affine(r.to_affine(), out);
}

void msm_g1(const uint8_t* bases, const uint8_t* scalars, size_t n, uint8_t* out) { msm_bytes<Fq>(bases, scalars, n, out); }
void msm_g2(const uint8_t* bases, const uint8_t* scalars, size_t n, uint8_t* out) { msm_bytes<Fq2>(bases, scalars, n, out); }

// ---------------------------------------------------------------- NTT

// w[k] is a primitive 2^k-th root of unity: w[28] = 5^((r-1)/2^28), w[k] = w[k+1]^2 (ffjavascript's choice).
static const Fr* roots_of_unity() {
  static Fr w[29];
  static std::once_flag once;
  std::call_once(once, [] {
    static const uint64_t five[4] = {5, 0, 0, 0};
    static const uint64_t t[4] = {0x9b9709143e1f593fULL, 0x181585d2833e8487ULL, 0x131a029b85045b68ULL, 0x000000030644e72eULL};
    w[28] = Fr::from_std(five).pow(t);
    for (int k = 27; k >= 0; k--) w[k] = w[k + 1].sqr();
  });
  return w;
}

// Per-size twiddles laid out stage by stage: tw[h + j] = ω_{2h}^j for h = 1, 2, 4, ..., n/2.
struct Twiddles {
  std::vector<Fr> fwd, inv;
};

static std::shared_ptr<const Twiddles> twiddles_for(int logn) {
  static std::mutex mu;
  static std::map<int, std::shared_ptr<const Twiddles>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(logn);
  if (it != cache.end()) return it->second;
  auto t = std::make_shared<Twiddles>();
  size_t n = (size_t)1 << logn;
  t->fwd.resize(std::max<size_t>(n, 2));
  t->inv.resize(std::max<size_t>(n, 2));
  const Fr* w = roots_of_unity();
  for (int s = 1; s <= logn; s++) {
    size_t h = (size_t)1 << (s - 1);
    Fr root = w[s], iroot = w[s].inv();
    Fr a = Fr::one(), b = Fr::one();
    for (size_t j = 0; j < h; j++) {
      t->fwd[h + j] = a;
      t->inv[h + j] = b;
      a = a * root;
      b = b * iroot;
    }
  }
  cache[logn] = t;
  return t;
}

static void bit_reverse(Fr* a, size_t n, int logn) {
  for (size_t i = 0; i < n; i++) {
    size_t j = 0;
    size_t x = i;
    for (int b = 0; b < logn; b++) {
      j = (j << 1) | (x & 1);
      x >>= 1;
    }
    if (i < j) std::swap(a[i], a[j]);
  }
}

static inline void butterfly_stage_range(Fr* a, const Fr* tw, size_t h, size_t b, size_t e) {
  // butterflies b..e of the stage with half-size h, as runs of consecutive j within a block
  for (size_t k = b; k < e;) {
    size_t blk = k / h, j = k - blk * h;
    size_t run = std::min(e - k, h - j);
    size_t i0 = blk * 2 * h + j;
    simd::butterflies(a + i0, a + i0 + h, tw + h + j, run);
    k += run;
  }
}

// Decimation-in-time radix-2 NTT on Montgomery-form values (bit-reversed input order handled here).
static void ntt_mont(Fr* a, size_t n, bool inverse, int threads, bool scaleInverse = true) {
  if (n <= 1) return;
  int logn = __builtin_ctzll(n);
  auto tws = twiddles_for(logn);
  const Fr* tw = inverse ? tws->inv.data() : tws->fwd.data();
  bit_reverse(a, n, logn);
  // Small stages: whole blocks of `L` elements fit in cache, one task each.
  const size_t L = std::min<size_t>(n, 1 << 12);
  parallel_for(n / L, n >= (1 << 14) ? threads : 1, [&](size_t blk) {
    Fr* p = a + blk * L;
    for (size_t h = 1; h < L; h <<= 1) {
      for (size_t s = 0; s < L; s += 2 * h) {
        if (h >= 8) {
          simd::butterflies(p + s, p + s + h, tw + h, h);
          continue;
        }
        for (size_t j = 0; j < h; j++) {
          Fr v = p[s + j + h] * tw[h + j];
          Fr u = p[s + j];
          p[s + j] = u + v;
          p[s + j + h] = u - v;
        }
      }
    }
  });
  for (size_t h = L; h < n; h <<= 1) {
    parallel_range(n / 2, 1 << 12, threads, [&](size_t b, size_t e) { butterfly_stage_range(a, tw, h, b, e); });
  }
  if (inverse && scaleInverse) {
    uint64_t nn[4] = {(uint64_t)n, 0, 0, 0};
    Fr ninv = Fr::from_std(nn).inv();
    parallel_range(n, 1 << 12, threads, [&](size_t b, size_t e) { simd::scale_many(a + b, ninv, a + b, e - b); });
  }
}

// c·g^i for i < n, computed in parallel chunks (each chunk starts from c·g^begin).
static std::vector<Fr> powers(size_t n, const Fr& c, const Fr& g, int threads) {
  std::vector<Fr> pw(n);
  parallel_range(n, 1 << 12, threads, [&](size_t b, size_t e) {
    uint64_t bb[4] = {(uint64_t)b, 0, 0, 0};
    Fr p = c * g.pow(bb);
    for (size_t i = b; i < e; i++) {
      pw[i] = p;
      p = p * g;
    }
  });
  return pw;
}

// The quotient's coset factors (1/n)·ω₂ₙ^i: the inverse NTT's 1/n folded into the coset shift. Cached per size.
static std::shared_ptr<const std::vector<Fr>> quotient_coset_factors(int logn, int threads) {
  static std::mutex mu;
  static std::map<int, std::shared_ptr<const std::vector<Fr>>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(logn);
  if (it != cache.end()) return it->second;
  size_t n = (size_t)1 << logn;
  uint64_t nn[4] = {(uint64_t)n, 0, 0, 0};
  auto f = std::make_shared<const std::vector<Fr>>(powers(n, Fr::from_std(nn).inv(), roots_of_unity()[logn + 1], threads));
  cache[logn] = f;
  return f;
}

// a[i] *= c · g^i
static void scale_by_powers(Fr* a, size_t n, const Fr& c, const Fr& g, int threads) {
  std::vector<Fr> pw = powers(n, c, g, threads);
  parallel_range(n, 1 << 12, threads, [&](size_t b, size_t e) { simd::mul_many(a + b, pw.data() + b, a + b, e - b); });
}

void ntt(uint8_t* values, size_t n, bool inverse, bool coset) {
  int threads = engine_threads();
  std::vector<Fr> a(n);
  const Fr r2{{FrParams::R2[0], FrParams::R2[1], FrParams::R2[2], FrParams::R2[3]}};
  if (n) std::memcpy(a.data(), values, 32 * n);
  parallel_range(n, 1 << 12, threads, [&](size_t b, size_t e) { simd::scale_many(a.data() + b, r2, a.data() + b, e - b); });
  int logn = n > 1 ? __builtin_ctzll(n) : 0;
  Fr g = roots_of_unity()[logn + 1];  // ω_{2n}
  if (coset && !inverse) scale_by_powers(a.data(), n, Fr::one(), g, threads);
  ntt_mont(a.data(), n, inverse, threads);
  if (coset && inverse) scale_by_powers(a.data(), n, Fr::one(), g.inv(), threads);
  const Fr rawOne{{1, 0, 0, 0}};
  parallel_range(n, 1 << 12, threads, [&](size_t b, size_t e) { simd::scale_many(a.data() + b, rawOne, a.data() + b, e - b); });
  if (n) std::memcpy(values, a.data(), 32 * n);
}

// ---------------------------------------------------------------- Groth16 quotient

std::string groth16_quotient(const uint8_t* coefs, size_t nCoefs, const uint8_t* witness, size_t nVars, size_t n, uint8_t* out) {
  const int threads = engine_threads();
  std::vector<Fr> A(n, Fr::zero()), B(n, Fr::zero()), C(n);
  // snarkjs stores coef·R² in standard form, so a Montgomery product with the standard-form witness
  // value yields the Montgomery form of coef·w (buildABC1 in snarkjs's groth16_prove.js).
  // In chunks: validate and gather (coef, w), multiply the chunk in a batch, then accumulate.
  const size_t CH = 1024;
  std::vector<Fr> cs(CH), ws(CH);
  std::vector<Fr*> dst(CH);
  for (size_t i0 = 0; i0 < nCoefs; i0 += CH) {
    const size_t m = std::min(CH, nCoefs - i0);
    for (size_t k = 0; k < m; k++) {
      const size_t i = i0 + k;
      const uint8_t* e = coefs + 44 * i;
      uint32_t mtx, c, s;
      std::memcpy(&mtx, e, 4);
      std::memcpy(&c, e + 4, 4);
      std::memcpy(&s, e + 8, 4);
      if (mtx > 1) return "coefficient " + std::to_string(i) + " has matrix " + std::to_string(mtx) + " (expected 0 or 1)";
      if (c >= n) return "coefficient " + std::to_string(i) + " has constraint " + std::to_string(c) + " >= domainSize";
      if (s >= nVars) return "coefficient " + std::to_string(i) + " has signal " + std::to_string(s) + " >= witness length";
      std::memcpy(cs[k].v, e + 12, 32);
      std::memcpy(ws[k].v, witness + 32 * (size_t)s, 32);
      dst[k] = mtx == 0 ? &A[c] : &B[c];
    }
    simd::mul_many(cs.data(), ws.data(), cs.data(), m);
    for (size_t k = 0; k < m; k++) *dst[k] = *dst[k] + cs[k];
  }
  parallel_range(n, 1 << 12, threads, [&](size_t b, size_t e) { simd::mul_many(A.data() + b, B.data() + b, C.data() + b, e - b); });
  int logn = n > 1 ? __builtin_ctzll(n) : 0;
  auto factors = quotient_coset_factors(logn, threads);
  const Fr* f = factors->data();
  Fr* vecs[3] = {A.data(), B.data(), C.data()};
  for (Fr* v : vecs) {
    ntt_mont(v, n, true, threads, false);  // 1/n is in the coset factors
    parallel_range(n, 1 << 12, threads, [&](size_t b, size_t e) { simd::mul_many(v + b, f + b, v + b, e - b); });
    ntt_mont(v, n, false, threads);
  }
  const Fr rawOne{{1, 0, 0, 0}};
  parallel_range(n, 1 << 12, threads, [&](size_t b, size_t e) {
    simd::mul_many(A.data() + b, B.data() + b, A.data() + b, e - b);
    for (size_t i = b; i < e; i++) A[i] = A[i] - C[i];
    simd::scale_many(A.data() + b, rawOne, A.data() + b, e - b);
    std::memcpy(out + 32 * b, A.data() + b, 32 * (e - b));
  });
  return "";
}

// ---------------------------------------------------------------- fixed base

static const G1A G1_GEN = {
    {{0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL, 0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL}},
    {{0xa6ba871b8b1e1b3aULL, 0x14f1d651eb8e167bULL, 0xccdd46def0f28c58ULL, 0x1c14ef83340fbe5eULL}}};
static const G2A G2_GEN = {
    {{{0x8e83b5d102bc2026ULL, 0xdceb1935497b0172ULL, 0xfbb8264797811adfULL, 0x19573841af96503bULL}},
     {{0xafb4737da84c6140ULL, 0x6043dd5a5802d8c4ULL, 0x09e950fc52a02f86ULL, 0x14fef0833aea7b6bULL}}},
    {{{0x619dfa9d886be9f6ULL, 0xfe7fd297f59e9b78ULL, 0xff9e1a62231b7dfeULL, 0x28fd7eebae9e4206ULL}},
     {{0x64095b56c71856eeULL, 0xdc57f922327d3cbbULL, 0x55f935be33351076ULL, 0x0da4a0e693fd6482ULL}}}};

// table[k*255 + d-1] = d · 2^(8k) · G, affine: a fixed-base mul is then 32 mixed additions.
template <class F>
static std::vector<Affine<F>> build_fixed_table(const Affine<F>& gen) {
  std::vector<XYZZ<F>> t(32 * 255);
  XYZZ<F> base = XYZZ<F>::from_affine(gen);
  for (int k = 0; k < 32; k++) {
    XYZZ<F> acc = base;
    for (int d = 1; d <= 255; d++) {
      t[k * 255 + d - 1] = acc;
      acc.add(base);
    }
    for (int i = 0; i < 8; i++) base.dbl_inplace();
  }
  std::vector<Affine<F>> out(t.size());
  batch_to_affine(t.data(), out.data(), t.size());
  return out;
}

template <class F>
static const std::vector<Affine<F>>& fixed_table(const Affine<F>& gen) {
  static std::vector<Affine<F>> table;
  static std::once_flag once;
  std::call_once(once, [&] { table = build_fixed_table(gen); });
  return table;
}

template <class F>
static void normalize_store(std::vector<XYZZ<F>>& pts, uint8_t* out, int threads) {
  parallel_range(pts.size(), 1024, threads, [&](size_t b, size_t e) {
    std::vector<Affine<F>> aff(e - b);
    batch_to_affine(pts.data() + b, aff.data(), e - b);
    for (size_t i = b; i < e; i++) store_affine(aff[i - b], out + 2 * sizeof(F) * i);
  });
}

// acc[i] += add[i] for the listed i, all affine, sharing one inversion. `has[i]` = 0 means acc[i] is
// infinity (then acc[i] = add[i]); P + P doubles and P + (-P) clears `has`.
template <class F>
static void batch_add_affine_lockstep(Affine<F>* acc, uint8_t* has, const uint32_t* list, const Affine<F>* add, size_t cnt,
                                      std::vector<F>& denom, std::vector<Fq>& scratch) {
  denom.resize(cnt);
  for (size_t k = 0; k < cnt; k++) {
    denom[k] = affine_add_denominator(acc[list[k]], add[k]);
  }
  batch_inverse(denom.data(), cnt, scratch);
  for (size_t k = 0; k < cnt; k++) {
    const F& ik = denom[k];
    if (!affine_add_with_inverse(acc[list[k]], add[k], ik)) has[list[k]] = 0;
  }
}

// Fixed-base multiplication for a chunk of scalars in lockstep: at byte k every point adds its table entry,
// all additions of a step sharing one inversion, so results come out affine without a final normalisation.
template <class F>
static void fixed_base_bytes(const Affine<F>& gen, const uint8_t* scalars, size_t n, uint8_t* out) {
  const int threads = engine_threads();
  const auto& table = fixed_table<F>(gen);
  parallel_range(n, 512, threads, [&](size_t b, size_t e) {
    const size_t len = e - b;
    std::vector<Affine<F>> acc(len), add(len);
    std::vector<uint8_t> has(len, 0);
    std::vector<uint32_t> list(len);
    std::vector<F> denom;
    std::vector<Fq> prefix;
    for (int k = 0; k < 32; k++) {
      size_t cnt = 0;
      for (size_t i = 0; i < len; i++) {
        uint8_t d = scalars[32 * (b + i) + k];
        if (!d) continue;
        const Affine<F>& T = table[k * 255 + d - 1];
        if (!has[i]) {
          acc[i] = T;
          has[i] = 1;
          continue;
        }
        list[cnt] = (uint32_t)i;
        add[cnt++] = T;
      }
      if (cnt) batch_add_affine_lockstep(acc.data(), has.data(), list.data(), add.data(), cnt, denom, prefix);
    }
    for (size_t i = 0; i < len; i++) store_affine(has[i] ? acc[i] : Affine<F>::inf(), out + 2 * sizeof(F) * (b + i));
  });
}

void g1_fixed_base(const uint8_t* scalars, size_t n, uint8_t* out) { fixed_base_bytes<Fq>(G1_GEN, scalars, n, out); }
void g2_fixed_base(const uint8_t* scalars, size_t n, uint8_t* out) { fixed_base_bytes<Fq2>(G2_GEN, scalars, n, out); }

// ---------------------------------------------------------------- variable-base scalar mul

// s·P with the cheaper of s and r - s (r1cs coefficients are often -1 or small negatives);
// binary for short scalars, 4-bit windows otherwise.
template <class F>
static XYZZ<F> scalar_mul(const Affine<F>& P0, const Scalar& s0) {
  if (P0.is_inf() || scalar_is_zero(s0)) return XYZZ<F>::inf();
  Affine<F> P = P0;
  Scalar s = s0;
  if (scalar_gt_half_r(s0)) {
    s = scalar_neg(s0);
    P = P0.neg();
  }
  int bits = scalar_bitlen(s);
  XYZZ<F> acc = XYZZ<F>::inf();
  if (bits <= 24) {
    for (int i = bits - 1; i >= 0; i--) {
      acc.dbl_inplace();
      if (scalar_bits(s, i, 1)) acc.add_affine(P);
    }
    return acc;
  }
  XYZZ<F> table[16];
  if constexpr (std::is_same<F, Fq>::value) {
    if (bits > 130) {
      // GLV: k1·P1 + k2·φ(P1) with 128-bit halves, both in one pass of 4-bit windows
      Scalar k1, k2;
      bool neg1, neg2;
      glv_split(s, k1, neg1, k2, neg2);
      Affine<F> P1 = neg1 ? P.neg() : P;
      XYZZ<F> table2[16];
      table[1] = XYZZ<F>::from_affine(P1);
      table[2].set_dbl_affine(P1);
      for (int i = 3; i < 16; i++) {
        table[i] = table[i - 1];
        table[i].add_affine(P1);
      }
      for (int i = 1; i < 16; i++) {
        table2[i] = XYZZ<F>{table[i].X * GLV_BETA, table[i].Y, table[i].ZZ, table[i].ZZZ};
        if (neg1 != neg2) table2[i] = table2[i].neg();
      }
      int top2 = (std::max(scalar_bitlen(k1), scalar_bitlen(k2)) + 3) / 4;
      for (int w = top2 - 1; w >= 0; w--) {
        for (int i = 0; i < 4; i++) acc.dbl_inplace();
        uint64_t d1 = scalar_bits(k1, 4 * w, 4), d2 = scalar_bits(k2, 4 * w, 4);
        if (d1) acc.add(table[d1]);
        if (d2) acc.add(table2[d2]);
      }
      return acc;
    }
  }
  table[1] = XYZZ<F>::from_affine(P);
  table[2].set_dbl_affine(P);
  for (int i = 3; i < 16; i++) {
    table[i] = table[i - 1];
    table[i].add_affine(P);
  }
  int top = (bits + 3) / 4;
  for (int w = top - 1; w >= 0; w--) {
    for (int i = 0; i < 4; i++) acc.dbl_inplace();
    uint64_t d = scalar_bits(s, 4 * w, 4);
    if (d) acc.add(table[d]);
  }
  return acc;
}

template <class F>
static void sparse_combine_bytes(const uint8_t* points, const uint8_t* terms, size_t nTerms, size_t nOutputs, uint8_t* out) {
  const int threads = engine_threads();
  const Affine<F>* pts = reinterpret_cast<const Affine<F>*>(points);
  // group terms by output (counting sort)
  std::vector<size_t> start(nOutputs + 1, 0);
  for (size_t t = 0; t < nTerms; t++) {
    uint32_t o;
    std::memcpy(&o, terms + 40 * t, 4);
    start[o + 1]++;
  }
  for (size_t o = 0; o < nOutputs; o++) start[o + 1] += start[o];
  std::vector<uint32_t> order(nTerms);
  {
    std::vector<size_t> fill(start.begin(), start.end() - 1);
    for (size_t t = 0; t < nTerms; t++) {
      uint32_t o;
      std::memcpy(&o, terms + 40 * t, 4);
      order[fill[o]++] = (uint32_t)t;
    }
  }
  auto gather = [&](size_t o, std::vector<Affine<F>>& b, std::vector<Scalar>& s) {
    size_t k = start[o + 1] - start[o];
    b.resize(k);
    s.resize(k);
    for (size_t j = 0; j < k; j++) {
      const uint8_t* e = terms + 40 * (size_t)order[start[o] + j];
      uint32_t pi;
      std::memcpy(&pi, e + 4, 4);
      std::memcpy(&b[j], &pts[pi], sizeof(Affine<F>));
      s[j] = load_scalar(e + 8);
    }
  };
  std::vector<XYZZ<F>> res(nOutputs, XYZZ<F>::inf());
  const size_t BIG = 4096;
  // outputs with many terms: a full multi-threaded MSM each
  for (size_t o = 0; o < nOutputs; o++) {
    if (start[o + 1] - start[o] < BIG) continue;
    std::vector<Affine<F>> b;
    std::vector<Scalar> s;
    gather(o, b, s);
    res[o] = msm_core<F>(b.data(), s.data(), b.size(), threads);
  }
  parallel_for((nOutputs + 63) / 64, threads, [&](size_t chunk) {
    std::vector<Affine<F>> b;
    std::vector<Scalar> s;
    for (size_t o = chunk * 64; o < std::min(nOutputs, chunk * 64 + 64); o++) {
      size_t k = start[o + 1] - start[o];
      if (k == 0 || k >= BIG) continue;
      gather(o, b, s);
      if (k >= 64) {
        res[o] = msm_core<F>(b.data(), s.data(), k, 1);
      } else {
        XYZZ<F> acc = XYZZ<F>::inf();
        for (size_t j = 0; j < k; j++) {
          if (scalar_is_one(s[j]))
            acc.add_affine(b[j]);
          else
            acc.add(scalar_mul(b[j], s[j]));
        }
        res[o] = acc;
      }
    }
  });
  normalize_store(res, out, threads);
}

void g1_sparse_combine(const uint8_t* points, const uint8_t* terms, size_t nTerms, size_t nOutputs, uint8_t* out) {
  sparse_combine_bytes<Fq>(points, terms, nTerms, nOutputs, out);
}
void g2_sparse_combine(const uint8_t* points, const uint8_t* terms, size_t nTerms, size_t nOutputs, uint8_t* out) {
  sparse_combine_bytes<Fq2>(points, terms, nTerms, nOutputs, out);
}

// Width-4 NAF of s: digits in {0, ±1, ±3, ±5, ±7}, least significant first, any two nonzero digits at
// least 4 apart.
static std::vector<int8_t> wnaf4(Scalar k) {
  std::vector<int8_t> d;
  while (!scalar_is_zero(k)) {
    int8_t digit = 0;
    if (k.v[0] & 1) {
      int w = (int)(k.v[0] & 15);
      digit = (int8_t)(w >= 8 ? w - 16 : w);
      // k -= digit
      if (digit > 0) {
        u128 br = 0;
        for (int i = 0; i < 4; i++) {
          u128 t = (u128)k.v[i] - (i == 0 ? (uint64_t)digit : 0) - (uint64_t)br;
          k.v[i] = (uint64_t)t;
          br = (t >> 64) & 1;
        }
      } else {
        u128 c = (u128)(uint64_t)(-digit);
        for (int i = 0; i < 4; i++) {
          c += k.v[i];
          k.v[i] = (uint64_t)c;
          c >>= 64;
        }
      }
    }
    d.push_back(digit);
    for (int i = 0; i < 3; i++) k.v[i] = (k.v[i] >> 1) | (k.v[i + 1] << 63);
    k.v[3] >>= 1;
  }
  return d;
}

// acc[i] = 2·acc[i] for the listed i, affine, sharing one inversion (points of odd order never have y = 0).
template <class F>
static void batch_double_affine_lockstep(Affine<F>* acc, const uint32_t* list, size_t cnt, std::vector<F>& denom, std::vector<F>& prefix) {
  denom.resize(cnt);
  prefix.resize(cnt);
  F run = F::one();
  for (size_t k = 0; k < cnt; k++) {
    denom[k] = acc[list[k]].y.dbl();
    prefix[k] = run;
    run = run * denom[k];
  }
  F inv = run.inv();
  for (size_t k = cnt; k-- > 0;) {
    F ik = inv * prefix[k];
    inv = inv * denom[k];
    Affine<F>& A = acc[list[k]];
    F xx = A.x.sqr();
    F lambda = (xx.dbl() + xx) * ik;
    F x3 = lambda.sqr() - A.x.dbl();
    A.y = lambda * (A.x - x3) - A.y;
    A.x = x3;
  }
}

// Adds (table entry chosen by `d`) to every point of `act`; a point still at infinity takes the entry.
static void lockstep_add_digit(std::vector<G1A>& acc, std::vector<uint8_t>& has, const std::vector<uint32_t>& act,
                               const std::vector<G1A>& tab, int8_t d, std::vector<uint32_t>& list, std::vector<G1A>& add,
                               std::vector<Fq>& denom, std::vector<Fq>& prefix) {
  size_t j = (size_t)((d > 0 ? d : -d) - 1) / 2, cnt = 0;
  for (uint32_t i : act) {
    G1A e = d > 0 ? tab[4 * i + j] : tab[4 * i + j].neg();
    if (!has[i]) {
      acc[i] = e;
      has[i] = 1;
      continue;
    }
    list[cnt] = i;
    add[cnt++] = e;
  }
  if (cnt) batch_add_affine_lockstep(acc.data(), has.data(), list.data(), add.data(), cnt, denom, prefix);
}

// Every point times one scalar: GLV splits the scalar into two 128-bit halves (half the doublings), each
// in width-4 NAF, and a chunk of points runs the same digit sequence in lockstep so every doubling or
// addition step shares one inversion (affine arithmetic).
void g1_batch_scale(const uint8_t* points, size_t n, const uint8_t* scalar, uint8_t* out) {
  const int threads = engine_threads();
  Scalar k1, k2;
  bool neg1, neg2;
  glv_split(load_scalar(scalar), k1, neg1, k2, neg2);
  const std::vector<int8_t> naf1 = wnaf4(k1), naf2 = wnaf4(k2);
  const size_t steps = std::max(naf1.size(), naf2.size());
  parallel_range(n, 512, threads, [&](size_t b, size_t e) {
    const size_t len = e - b;
    std::vector<G1A> tab1(4 * len), tab2(4 * len), acc(len), add(len), two(len);  // tab[4i + j] = (2j + 1)·P_i
    std::vector<uint8_t> has(len, 0);
    std::vector<uint32_t> act, list(len);
    std::vector<Fq> denom, prefix;
    for (size_t i = 0; i < len; i++) {
      std::memcpy(&tab1[4 * i], points + 64 * (b + i), 64);
      if (!tab1[4 * i].is_inf()) act.push_back((uint32_t)i);
    }
    if (!act.empty() && steps > 0) {
      // 3P, 5P, 7P by repeated addition of 2P
      for (uint32_t i : act) two[i] = tab1[4 * i];
      batch_double_affine_lockstep(two.data(), act.data(), act.size(), denom, prefix);
      for (int j = 1; j < 4; j++) {
        size_t cnt = 0;
        for (uint32_t i : act) {
          acc[i] = tab1[4 * i + j - 1];
          has[i] = 1;
          add[cnt++] = two[i];
        }
        batch_add_affine_lockstep(acc.data(), has.data(), act.data(), add.data(), cnt, denom, prefix);
        for (uint32_t i : act) tab1[4 * i + j] = has[i] ? acc[i] : G1A::inf();
      }
      for (uint32_t i : act) {
        for (int j = 0; j < 4; j++) {
          G1A p = tab1[4 * i + j];
          G1A q = p.is_inf() ? p : G1A{p.x * GLV_BETA, p.y};
          tab1[4 * i + j] = neg1 ? p.neg() : p;
          tab2[4 * i + j] = neg2 ? q.neg() : q;
        }
        has[i] = 0;
      }
      for (size_t pos = steps; pos-- > 0;) {
        size_t cnt = 0;
        for (uint32_t i : act)
          if (has[i]) list[cnt++] = i;
        if (cnt) batch_double_affine_lockstep(acc.data(), list.data(), cnt, denom, prefix);
        int8_t d1 = pos < naf1.size() ? naf1[pos] : 0, d2 = pos < naf2.size() ? naf2[pos] : 0;
        if (d1) lockstep_add_digit(acc, has, act, tab1, d1, list, add, denom, prefix);
        if (d2) lockstep_add_digit(acc, has, act, tab2, d2, list, add, denom, prefix);
      }
    }
    for (size_t i = 0; i < len; i++) store_affine(has[i] ? acc[i] : G1A::inf(), out + 64 * (b + i));
  });
}

}  // namespace zk
