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
#include "ntt.inc"
#include "quotient.inc"
#include "fixed-base.inc"
#include "scalar-mul.inc"
#include "poseidon.inc"

}  // namespace zk
