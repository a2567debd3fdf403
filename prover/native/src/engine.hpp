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

}  // namespace zk
