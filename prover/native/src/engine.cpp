// zkai native engine: Pippenger MSM, radix-2 NTT, Groth16 quotient, fixed-base and sparse
// scalar multiplication over BN254, batched Poseidon (dataset commitments). One translation unit, in parts by
// concern (*.inc, included below in dependency order): the whole engine builds in one compiler invocation (CI has 2 cores) and every kernel inlines the
// helpers it shares with the others exactly as when this was one file.
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

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "curve.hpp"
#include "fr-wide.hpp"
#include "simd.hpp"

namespace zk {

typedef Affine<Fq> G1A;
typedef XYZZ<Fq> G1P;
typedef Affine<Fq2> G2A;
typedef XYZZ<Fq2> G2P;

#include "parallel.inc"
#include "scratch.inc"
#include "scalar.inc"
#include "msm-window.inc"
#include "msm.inc"
#include "msm-fixed.inc"
#include "ntt.inc"
#include "quotient.inc"
#include "fixed-base.inc"
#include "scalar-mul.inc"
#include "finish.inc"
#include "alpha-patch.inc"
#include "poseidon.inc"

template <class Params>
static size_t modinv_mismatches_in(size_t count, uint64_t seed) {
  typedef Fp<Params> F;
  uint64_t x = seed | 1;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  size_t bad = 0;
  auto check = [&bad](const F& a) {
    const F i = a.inv(), f = a.inv_fermat();
    if (std::memcmp(i.v, f.v, 32) != 0) bad++;
  };
  const F one = F::one(), two = one + one;
  for (const F& a : {F::zero(), one, two, F::zero() - one, F::zero() - two}) check(a);
  for (size_t k = 0; k < count; k++) {
    const uint64_t raw[4] = {next(), next(), next(), next() % Params::P[3]};  // below p
    F a;
    std::memcpy(a.v, raw, 32);
    check(a);
    // Small values and values near p, whose divsteps end early or run long.
    F small{{next() & 0xffff, 0, 0, 0}};
    check(F::from_std(small.v));
    check(F::zero() - F::from_std(small.v));
  }
  return bad;
}

size_t modinv_mismatches(size_t count, uint64_t seed) {
  return modinv_mismatches_in<FqParams>(count, seed) + modinv_mismatches_in<FrParams>(count, seed ^ 0x9e3779b97f4a7c15ULL);
}

}  // namespace zk
