// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev The BN254 scalar field order r, defined once for every zkai contract: Groth16 public signals, weight
/// commitments, dataset roots and epoch labels are elements of this field. The same value is `BN254_R` in
/// common/bn254.ts; verifier-contracts/test/field.test.ts checks that the two agree.
uint256 constant BN254_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
