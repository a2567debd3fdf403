// Plain C++ surface of zkai's native BN254 engine. All buffers use the snarkjs zkey/wtns layouts
// (see gpu/backend.ts); callers validate lengths and canonical scalars before calling.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace zk {

int engine_threads();
std::string engine_version();

// true when the 32-byte LE integer is < r
bool fr_is_canonical(const uint8_t* le32);

void msm_g1(const uint8_t* bases, const uint8_t* scalars, size_t n, uint8_t* out64);
void msm_g2(const uint8_t* bases, const uint8_t* scalars, size_t n, uint8_t* out128);

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

}  // namespace zk
