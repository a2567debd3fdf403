// Short Weierstrass y^2 = x^3 + b (a = 0) over F (Fq for G1, Fq2 for G2).
// Points are affine (zero coordinates = infinity, the snarkjs convention) or XYZZ
// (x = X/ZZ, y = Y/ZZZ, ZZ^3 = ZZZ^2; ZZ = 0 is infinity). XYZZ has the cheapest mixed addition
// (8M + 2S) and handles P + P and P + (-P) through explicit checks.
#pragma once
#include <vector>
#include "field.hpp"

namespace zk {

template <class F>
struct Affine {
  F x, y;
  inline bool is_inf() const { return x.is_zero() && y.is_zero(); }
  static inline Affine inf() { return Affine{F::zero(), F::zero()}; }
  inline Affine neg() const { return is_inf() ? *this : Affine{x, y.neg()}; }
};

template <class F>
struct XYZZ {
  F X, Y, ZZ, ZZZ;

  static inline XYZZ inf() { return XYZZ{F::one(), F::one(), F::zero(), F::zero()}; }
  static inline XYZZ from_affine(const Affine<F>& a) {
    if (a.is_inf()) return inf();
    return XYZZ{a.x, a.y, F::one(), F::one()};
  }
  inline bool is_inf() const { return ZZ.is_zero(); }
  inline XYZZ neg() const { return XYZZ{X, Y.neg(), ZZ, ZZZ}; }

  // dbl-2008-s-1
  inline void dbl_inplace() {
    if (is_inf()) return;
    F U = Y.dbl();
    F V = U.sqr();
    F W = U * V;
    F S = X * V;
    F X2 = X.sqr();
    F M = X2.dbl() + X2;
    F X3 = M.sqr() - S.dbl();
    F Y3 = M * (S - X3) - W * Y;
    X = X3;
    Y = Y3;
    ZZ = V * ZZ;
    ZZZ = W * ZZZ;
  }

  // mdbl-2008-s-1: this = 2·a
  inline void set_dbl_affine(const Affine<F>& a) {
    F U = a.y.dbl();
    F V = U.sqr();
    F W = U * V;
    F S = a.x * V;
    F X2 = a.x.sqr();
    F M = X2.dbl() + X2;
    X = M.sqr() - S.dbl();
    Y = M * (S - X) - W * a.y;
    ZZ = V;
    ZZZ = W;
  }

  // madd-2008-s: this += a (affine)
  inline void add_affine(const Affine<F>& a) {
    if (a.is_inf()) return;
    if (is_inf()) {
      X = a.x;
      Y = a.y;
      ZZ = F::one();
      ZZZ = F::one();
      return;
    }
    F U2 = a.x * ZZ;
    F S2 = a.y * ZZZ;
    F P = U2 - X;
    F R = S2 - Y;
    if (P.is_zero()) {
      if (R.is_zero()) {
        set_dbl_affine(a);
      } else {
        *this = inf();
      }
      return;
    }
    F PP = P.sqr();
    F PPP = P * PP;
    F Q = X * PP;
    F X3 = R.sqr() - PPP - Q.dbl();
    Y = R * (Q - X3) - Y * PPP;
    X = X3;
    ZZ = ZZ * PP;
    ZZZ = ZZZ * PPP;
  }
  inline void sub_affine(const Affine<F>& a) { add_affine(a.neg()); }

  // add-2008-s: this += o
  inline void add(const XYZZ& o) {
    if (o.is_inf()) return;
    if (is_inf()) {
      *this = o;
      return;
    }
    F U1 = X * o.ZZ;
    F U2 = o.X * ZZ;
    F S1 = Y * o.ZZZ;
    F S2 = o.Y * ZZZ;
    F P = U2 - U1;
    F R = S2 - S1;
    if (P.is_zero()) {
      if (R.is_zero()) {
        dbl_inplace();
      } else {
        *this = inf();
      }
      return;
    }
    F PP = P.sqr();
    F PPP = P * PP;
    F Q = U1 * PP;
    F X3 = R.sqr() - PPP - Q.dbl();
    Y = R * (Q - X3) - S1 * PPP;
    X = X3;
    ZZ = ZZ * o.ZZ * PP;
    ZZZ = ZZZ * o.ZZZ * PPP;
  }

  inline Affine<F> to_affine() const {
    if (is_inf()) return Affine<F>::inf();
    F I = (ZZ * ZZZ).inv();  // I·ZZZ = 1/ZZ, I·ZZ = 1/ZZZ
    return Affine<F>{X * (I * ZZZ), Y * (I * ZZ)};
  }
};

// Normalises many XYZZ points with one inversion (Montgomery's trick). Infinity maps to zeros.
template <class F>
void batch_to_affine(const XYZZ<F>* in, Affine<F>* out, size_t n) {
  std::vector<F> prefix(n);
  F acc = F::one();
  for (size_t i = 0; i < n; i++) {
    prefix[i] = acc;
    if (!in[i].is_inf()) acc = acc * (in[i].ZZ * in[i].ZZZ);
  }
  F inv = acc.inv();
  for (size_t i = n; i-- > 0;) {
    if (in[i].is_inf()) {
      out[i] = Affine<F>::inf();
      continue;
    }
    F d = in[i].ZZ * in[i].ZZZ;
    F I = inv * prefix[i];  // 1/(ZZ·ZZZ)
    inv = inv * d;
    out[i] = Affine<F>{in[i].X * (I * in[i].ZZZ), in[i].Y * (I * in[i].ZZ)};
  }
}

}  // namespace zk
