// Plain C++ surface of zkai's native BN254 engine. All buffers use the snarkjs zkey/wtns layouts
// (see gpu/backend.ts); callers validate lengths and canonical scalars before calling.
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

namespace zk {

int engine_threads();
std::string engine_version();

// true when the 32-byte LE integer is < r
bool fr_is_canonical(const uint8_t* le32);

void msm_g1(const uint8_t* bases, const uint8_t* scalars, size_t n, uint8_t* out64);
void msm_g2(const uint8_t* bases, const uint8_t* scalars, size_t n, uint8_t* out128);

// MSMs over fixed bases with precomputed multiples (msm-fixed.inc): a plan (window c, copies q, passes t, windows nw,
// and the modelled saving against the plain MSM) for n bases within maxCopies copies (window 0: chosen), the table's size, its build into `out` (8-byte aligned,
// fixed_table_bytes long), and an MSM over it; fixed_table_problem says why a table cannot serve m scalars ("": it can).
struct FixedPlan {
  int c, q, t, nw;
  double saving;
};
FixedPlan fixed_plan(size_t n, int maxCopies, int window, bool g2);
size_t fixed_table_bytes(size_t n, const FixedPlan& p, bool g2);
void fixed_build_g1(const uint8_t* bases, size_t n, const FixedPlan& p, uint8_t* out);
void fixed_build_g2(const uint8_t* bases, size_t n, const FixedPlan& p, uint8_t* out);
std::string fixed_table_problem(const uint8_t* table, size_t bytes, bool g2, size_t m);
void fixed_msm_g1(const uint8_t* table, const uint8_t* scalars, size_t m, uint8_t* out64);
void fixed_msm_g2(const uint8_t* table, const uint8_t* scalars, size_t m, uint8_t* out128);

// In-place NTT on n (power of two) standard-form Fr values.
void ntt(uint8_t* values, size_t n, bool inverse, bool coset);

// Returns an empty string on success, else why the input was rejected (out of range index...).
std::string groth16_quotient(const uint8_t* coefs, size_t nCoefs, const uint8_t* witness, size_t nVars, size_t domainSize,
                             uint8_t* out);

void g1_fixed_base(const uint8_t* scalars, size_t n, uint8_t* out);
void g2_fixed_base(const uint8_t* scalars, size_t n, uint8_t* out);

// terms: nTerms x (u32 output, u32 point, 32-byte scalar); indices must be validated by the caller.
void g1_sparse_combine(const uint8_t* points, const uint8_t* terms, size_t nTerms, size_t nOutputs, uint8_t* out);
void g2_sparse_combine(const uint8_t* points, const uint8_t* terms, size_t nTerms, size_t nOutputs, uint8_t* out);

// The end of a Groth16 proof in constant time in r and s (finish.inc). key: α₁, β₁, δ₁ (G1), β₂, δ₂ (G2); parts: the MSMs
// A, B1, C, H (G1) and B2 (G2); points affine, Montgomery form, zeros for infinity; rs: r then s, 32-byte LE standard
// form, below the group order. out: πA (64), πB (128), πC (64) bytes in the same form. groth16_finish_problem says
// which point is not on its curve or not canonical ("" when all are).
std::string groth16_finish_problem(const uint8_t* key448, const uint8_t* parts384);
void groth16_finish(const uint8_t* key448, const uint8_t* parts384, const uint8_t* rs64, uint8_t* out256);

// Pass 2 of a LogUp proof from pass 1's witness (alpha-patch.inc; plan layout there): `out` (nVars × 32 bytes, may be
// `values` itself) gets `values` with α set to alpha2 and every inverse wire re-solved. Returns "" or what is wrong with the plan; `pole` is
// set (and `out` meaningless) when α₂ zeroes a row's B side, where no witness exists.
std::string lookup_alpha_patch(const uint8_t* plan, size_t planBytes, const uint8_t* values, size_t nVars, const uint8_t* alpha2,
                               uint8_t* out, bool& pole);

void g1_batch_scale(const uint8_t* points, size_t n, const uint8_t* scalar, uint8_t* out);

// Poseidon (poseidon.inc). poseidon_params registers one width's constants (32-byte big-endian canonical elements:
// C, S, and the t x t matrices M and P row-major, as circomlibjs's poseidon_constants_opt holds them) and returns a
// handle, or -1 with `error` set. Field elements in and out are 32-byte big-endian; a non-canonical input (>= r) is
// reported in the returned string (empty on success).
int poseidon_params(int t, int nRoundsF, int nRoundsP, const uint8_t* C, size_t nC, const uint8_t* S, size_t nS, const uint8_t* M,
                    const uint8_t* P, std::string& error);
int poseidon_width(int id);  // t of a handle, -1 when unknown
// n hashes of (t - 1) inputs each -> n x 32 bytes.
std::string poseidon_hash(int id, const uint8_t* in, size_t n, uint8_t* out);
// One level of the Merkle-sum tree: n nodes of 48 bytes (hash 32 BE, sum 16 BE) -> ceil(n/2) parents,
// parent = (Poseidon(lh, ls, rh, rs), ls + rs); an odd last node pairs with `zero` (48 bytes). Width-5 handle.
std::string merkle_sum_level(int id, const uint8_t* nodes, size_t n, const uint8_t* zero, uint8_t* out);

// Scratch memory (scratch.inc): blocks of SCRATCH_SMALL bytes and more come from a process-wide pool of 2 MiB-aligned,
// huge-page-advised mappings that are kept between calls (up to ZKAI_NATIVE_SCRATCH_MIB), so a proof's big
// temporaries do not page-fault again on every call.
constexpr size_t SCRATCH_SMALL = (size_t)32 << 10;
void* scratch_acquire(size_t bytes);
void scratch_release(void* p);
// Maps, touches and keeps blocks of these sizes (pre-faulting the next calls' temporaries).
void scratch_warm(const size_t* sizes, size_t count);
size_t scratch_kept_bytes();

// How many of `count` pseudo-random elements (from `seed`) and a few edge cases (0, 1, 2, p − 1, p − 2) of Fq and of Fr
// have a safegcd inverse (modinv.hpp, Fp::inv) that differs from Fermat's (Fp::inv_fermat); the tests expect 0.
size_t modinv_mismatches(size_t count, uint64_t seed);

template <class T>
struct ScratchAlloc {
  typedef T value_type;
  ScratchAlloc() = default;
  template <class U>
  ScratchAlloc(const ScratchAlloc<U>&) {}
  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    return static_cast<T*>(bytes < SCRATCH_SMALL ? ::operator new(bytes) : scratch_acquire(bytes));
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < SCRATCH_SMALL)
      ::operator delete(p);
    else
      scratch_release(p);
  }
  template <class U>
  bool operator==(const ScratchAlloc<U>&) const {
    return true;
  }
  template <class U>
  bool operator!=(const ScratchAlloc<U>&) const {
    return false;
  }
};

// A vector whose storage, when large, is scratch memory. Every element is constructed by the vector, so a reused
// block never shows a previous call's data.
template <class T>
using Scratch = std::vector<T, ScratchAlloc<T>>;

// Builds what a Groth16 proof over a domain of n (a power of two) uses and would otherwise build on its first call
// (NTT twiddles, the quotient's coset factors) and pre-faults the scratch memory such a proof allocates
// (quotient.inc), so that the first proof runs as a warm one.
void prepare_groth16(size_t n, size_t nVars, size_t nCoefs);

}  // namespace zk
