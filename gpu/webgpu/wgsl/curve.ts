/**
 * WGSL for BN254 G1 (y² = x³ + 3) in homogeneous projective coordinates (X : Y : Z), affine x = X/Z,
 * y = Y/Z; the point at infinity is (0 : 1 : 0). Additions use the *complete* formulas of Renes,
 * Costello and Batina (2015, algorithms 7 and 8 for a = 0, b3 = 3b = 9): one branch-free formula that is
 * also correct for doubling, P + (−P) and the identity. That matters twice on the GPU: repeated
 * bases and cancelling terms need no special cases, and each kernel contains a single addition call
 * site — software drivers (lavapipe) inline every call, and with separate doubling/special-case paths
 * pipeline compilation took minutes.
 */
export function g1Wgsl(): string {
  return `
struct Proj { x: Big, y: Big, z: Big }

fn proj_infinity() -> Proj {
  return Proj(Big(), FQ_ONE, Big());
}

fn proj_is_inf(p: Proj) -> bool {
  return big_is_zero(p.z);
}

// 9·a = 3b·a (b = 3) with additions only.
fn fq_mul_b3(a: Big) -> Big {
  let a8 = fq_double(fq_double(fq_double(a)));
  return fq_add(a8, a);
}

// p + (x2, y2) for an affine point that is not the identity (RCB algorithm 8).
fn proj_add_affine(p: Proj, x2: Big, y2: Big) -> Proj {
  var t0 = fq_mul(p.x, x2);
  var t1 = fq_mul(p.y, y2);
  var t3 = fq_mul(fq_add(x2, y2), fq_add(p.x, p.y));
  var t4 = fq_add(t0, t1);
  t3 = fq_sub(t3, t4);
  t4 = fq_add(fq_mul(y2, p.z), p.y);
  var y3 = fq_add(fq_mul(x2, p.z), p.x);
  var x3 = fq_double(t0);
  t0 = fq_add(x3, t0);
  var t2 = fq_mul_b3(p.z);
  var z3 = fq_add(t1, t2);
  t1 = fq_sub(t1, t2);
  y3 = fq_mul_b3(y3);
  x3 = fq_mul(t4, y3);
  t2 = fq_mul(t3, t1);
  x3 = fq_sub(t2, x3);
  y3 = fq_mul(y3, t0);
  t1 = fq_mul(t1, z3);
  y3 = fq_add(t1, y3);
  t0 = fq_mul(t0, t3);
  z3 = fq_mul(z3, t4);
  z3 = fq_add(z3, t0);
  return Proj(x3, y3, z3);
}

// p + q for any two points, including p = q and the identity (RCB algorithm 7).
fn proj_add(p: Proj, q: Proj) -> Proj {
  var t0 = fq_mul(p.x, q.x);
  var t1 = fq_mul(p.y, q.y);
  var t2 = fq_mul(p.z, q.z);
  var t3 = fq_mul(fq_add(p.x, p.y), fq_add(q.x, q.y));
  var t4 = fq_add(t0, t1);
  t3 = fq_sub(t3, t4);
  t4 = fq_mul(fq_add(p.y, p.z), fq_add(q.y, q.z));
  var x3 = fq_add(t1, t2);
  t4 = fq_sub(t4, x3);
  x3 = fq_mul(fq_add(p.x, p.z), fq_add(q.x, q.z));
  var y3 = fq_add(t0, t2);
  y3 = fq_sub(x3, y3);
  x3 = fq_double(t0);
  t0 = fq_add(x3, t0);
  t2 = fq_mul_b3(t2);
  var z3 = fq_add(t1, t2);
  t1 = fq_sub(t1, t2);
  y3 = fq_mul_b3(y3);
  x3 = fq_mul(t4, y3);
  t2 = fq_mul(t3, t1);
  x3 = fq_sub(t2, x3);
  y3 = fq_mul(y3, t0);
  t1 = fq_mul(t1, z3);
  y3 = fq_add(t1, y3);
  t0 = fq_mul(t0, t3);
  z3 = fq_mul(z3, t4);
  z3 = fq_add(z3, t0);
  return Proj(x3, y3, z3);
}
`;
}
