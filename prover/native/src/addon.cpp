// N-API binding: every engine call runs on the libuv pool as an AsyncWorker and resolves a Promise with a Buffer.
// Invalid input rejects the Promise with a TypeError or RangeError; nothing here aborts the process.
// The proof's calls (MSMs, quotient) read their inputs in place: the call holds a reference to each Uint8Array until
// it settles, so the memory stays alive, and the caller must not write to or detach (transfer) those arrays meanwhile
// (zkai's prover never does: they are views of a parsed zkey and a witness). Copying them cost a proof a memcpy of
// every base and scalar, and a one-shot proof the page faults of the copies. The other calls copy their inputs.
#include <fcntl.h>
#include <napi.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "engine.hpp"

namespace {

// Scratch storage (engine.hpp): a call's input copies reuse already-mapped memory instead of faulting in fresh pages.
typedef zk::Scratch<uint8_t> Bytes;

class Job : public Napi::AsyncWorker {
 public:
  typedef std::function<void(Job&)> Fn;
  Job(Napi::Env env, Fn fn) : Napi::AsyncWorker(env, "zkai-native"), deferred(Napi::Promise::Deferred::New(env)), fn_(std::move(fn)) {}
  void Execute() override {
    try {
      fn_(*this);
      if (!error.empty()) SetError(error);
    } catch (const std::bad_alloc&) {
      SetError("zkai-native: out of memory");
    } catch (const std::exception& e) {
      SetError(std::string("zkai-native: ") + e.what());
    }
  }
  void OnOK() override { deferred.Resolve(Napi::Buffer<uint8_t>::Copy(Env(), out.data(), out.size())); }
  void OnError(const Napi::Error& e) override { deferred.Reject(e.Value()); }

  Napi::Promise::Deferred deferred;
  std::vector<Bytes> in;
  std::vector<Napi::ObjectReference> borrowed;  // arrays read in place (released on the main thread with the job)
  Bytes out;
  std::string error;

 private:
  Fn fn_;
};

struct Invalid {
  bool range;  // RangeError, else TypeError
  std::string msg;
};

Napi::Value rejected(Napi::Env env, const Invalid& e) {
  auto d = Napi::Promise::Deferred::New(env);
  if (e.range)
    d.Reject(Napi::RangeError::New(env, e.msg).Value());
  else
    d.Reject(Napi::TypeError::New(env, e.msg).Value());
  return d.Promise();
}

// A Uint8Array (Buffer included) argument whose length is a multiple of `multiple` (0: any length).
Napi::Uint8Array uint8_arg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t multiple) {
  if (info.Length() <= i || !info[i].IsTypedArray()) throw Invalid{false, std::string(name) + " must be a Uint8Array"};
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) throw Invalid{false, std::string(name) + " must be a Uint8Array"};
  Napi::Uint8Array u = ta.As<Napi::Uint8Array>();
  size_t len = u.ByteLength();
  if (multiple && len % multiple != 0)
    throw Invalid{true, std::string(name) + " length " + std::to_string(len) + " is not a multiple of " + std::to_string(multiple)};
  return u;
}

// Reads a Uint8Array argument into a copy.
Bytes bytes_arg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t multiple) {
  Napi::Uint8Array u = uint8_arg(info, i, name, multiple);
  const uint8_t* p = u.Data();
  return Bytes(p, p + u.ByteLength());
}

size_t count_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Invalid{false, std::string(name) + " must be a number"};
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > 4294967295.0)
    throw Invalid{true, std::string(name) + " must be an integer in [0, 2^32)"};
  return (size_t)d;
}

// A Uint8Array argument read in place: its bytes, and a reference that keeps the array alive while the job runs.
struct View {
  const uint8_t* data;
  size_t size;
};

View view_arg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t multiple, std::vector<Napi::ObjectReference>& refs) {
  Napi::Uint8Array u = uint8_arg(info, i, name, multiple);
  refs.push_back(Napi::Persistent(Napi::Object(u)));
  return View{u.Data(), u.ByteLength()};
}

// A synchronous call's Invalid as the JavaScript exception it stands for.
[[noreturn]] void throw_invalid(Napi::Env env, const Invalid& e) {
  if (e.range) throw Napi::RangeError::New(env, e.msg);
  throw Napi::TypeError::New(env, e.msg);
}

bool bool_arg(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i && info[i].ToBoolean().Value(); }

void check_scalars(const uint8_t* data, size_t size, const char* name) {
  for (size_t i = 0; i < size / 32; i++)
    if (!zk::fr_is_canonical(data + 32 * i))
      throw Invalid{true, std::string(name) + "[" + std::to_string(i) + "] is not a canonical Fr element (must be < r)"};
}
void check_scalars(const Bytes& b, const char* name) { check_scalars(b.data(), b.size(), name); }

int log2_exact(size_t n) {
  if (n == 0 || (n & (n - 1))) return -1;
  return __builtin_ctzll(n);
}

struct Prepared {
  std::vector<Bytes> in;
  std::vector<Napi::ObjectReference> borrowed;
  Bytes out;
};

// Validates the arguments (`prepare` throws Invalid), then queues the work; always returns a Promise.
Napi::Value run(const Napi::CallbackInfo& info, const std::function<Job::Fn(Prepared&)>& prepare) {
  Napi::Env env = info.Env();
  Prepared p;
  Job::Fn fn;
  try {
    fn = prepare(p);
  } catch (const Invalid& e) {
    return rejected(env, e);
  } catch (const std::bad_alloc&) {
    return rejected(env, Invalid{true, "zkai-native: out of memory copying inputs"});
  }
  Job* job = new Job(env, std::move(fn));
  job->in = std::move(p.in);
  job->borrowed = std::move(p.borrowed);
  job->out = std::move(p.out);
  Napi::Value promise = job->deferred.Promise();
  job->Queue();
  return promise;
}

// Σ scalars[i]·bases[i] in G1 (64-byte points) or G2 (128-byte points), both read in place.
Napi::Value Msm(const Napi::CallbackInfo& info, bool g2) {
  return run(info, [&](Prepared& job) -> Job::Fn {
    const size_t pb = g2 ? 128 : 64;
    View bases = view_arg(info, 0, "bases", pb, job.borrowed);
    View scalars = view_arg(info, 1, "scalars", 32, job.borrowed);
    size_t n = scalars.size / 32;
    if (bases.size / pb < n)
      throw Invalid{true, "bases holds " + std::to_string(bases.size / pb) + " points, scalars " + std::to_string(n)};
    check_scalars(scalars.data, scalars.size, "scalars");
    job.out.resize(pb);
    return [n, bases, scalars, g2](Job& j) {
      if (g2)
        zk::msm_g2(bases.data, scalars.data, n, j.out.data());
      else
        zk::msm_g1(bases.data, scalars.data, n, j.out.data());
    };
  });
}

Napi::Value Ntt(const Napi::CallbackInfo& info) {
  return run(info, [&](Prepared& job) -> Job::Fn {
    Bytes values = bytes_arg(info, 0, "values", 32);
    bool inverse = bool_arg(info, 1), coset = bool_arg(info, 2);
    size_t n = values.size() / 32;
    int logn = log2_exact(n);
    if (logn < 0) throw Invalid{true, "ntt length " + std::to_string(n) + " is not a power of two"};
    if (logn > (coset ? 27 : 28)) throw Invalid{true, "ntt length 2^" + std::to_string(logn) + " exceeds the Fr 2-adicity"};
    check_scalars(values, "values");
    job.out = std::move(values);
    return [n, inverse, coset](Job& j) { zk::ntt(j.out.data(), n, inverse, coset); };
  });
}

Napi::Value Groth16Quotient(const Napi::CallbackInfo& info) {
  return run(info, [&](Prepared& job) -> Job::Fn {
    size_t nCoefs = count_arg(info, 1, "nCoefs");
    size_t domainSize = count_arg(info, 3, "domainSize");
    int logn = log2_exact(domainSize);
    if (logn < 0 || logn > 27) throw Invalid{true, "domainSize must be a power of two <= 2^27"};
    View coefs = view_arg(info, 0, "coefs", 0, job.borrowed);
    if (coefs.size < nCoefs * 44)
      throw Invalid{true, "coefs holds " + std::to_string(coefs.size) + " bytes, nCoefs needs " + std::to_string(nCoefs * 44)};
    View witness = view_arg(info, 2, "witness", 32, job.borrowed);
    check_scalars(witness.data, witness.size, "witness");
    size_t nVars = witness.size / 32;
    for (size_t i = 0; i < nCoefs; i++) {
      const uint8_t* e = coefs.data + 44 * i;
      uint32_t m, c, s;
      std::memcpy(&m, e, 4);
      std::memcpy(&c, e + 4, 4);
      std::memcpy(&s, e + 8, 4);
      if (m > 1) throw Invalid{true, "coefs[" + std::to_string(i) + "]: matrix " + std::to_string(m) + " is not 0 or 1"};
      if (c >= domainSize) throw Invalid{true, "coefs[" + std::to_string(i) + "]: constraint " + std::to_string(c) + " >= domainSize"};
      if (s >= nVars) throw Invalid{true, "coefs[" + std::to_string(i) + "]: signal " + std::to_string(s) + " >= witness length"};
      if (!zk::fr_is_canonical(e + 12)) throw Invalid{true, "coefs[" + std::to_string(i) + "]: value is not < r"};
    }
    job.out.resize(domainSize * 32);
    return [nCoefs, nVars, domainSize, coefs, witness](Job& j) {
      j.error = zk::groth16_quotient(coefs.data, nCoefs, witness.data, nVars, domainSize, j.out.data());
    };
  });
}

Napi::Value FixedBase(const Napi::CallbackInfo& info, bool g2) {
  return run(info, [&](Prepared& job) -> Job::Fn {
    Bytes scalars = bytes_arg(info, 0, "scalars", 32);
    check_scalars(scalars, "scalars");
    size_t n = scalars.size() / 32;
    job.in = {std::move(scalars)};
    job.out.resize(n * (g2 ? 128 : 64));
    if (g2) return [n](Job& j) { zk::g2_fixed_base(j.in[0].data(), n, j.out.data()); };
    return [n](Job& j) { zk::g1_fixed_base(j.in[0].data(), n, j.out.data()); };
  });
}

Napi::Value SparseCombine(const Napi::CallbackInfo& info, bool g2) {
  return run(info, [&](Prepared& job) -> Job::Fn {
    const size_t ps = g2 ? 128 : 64;
    Bytes points = bytes_arg(info, 0, "points", ps);
    Bytes terms = bytes_arg(info, 1, "terms", 40);
    size_t nOutputs = count_arg(info, 2, "nOutputs");
    size_t nPoints = points.size() / ps, nTerms = terms.size() / 40;
    for (size_t i = 0; i < nTerms; i++) {
      const uint8_t* e = terms.data() + 40 * i;
      uint32_t o, p;
      std::memcpy(&o, e, 4);
      std::memcpy(&p, e + 4, 4);
      if (o >= nOutputs) throw Invalid{true, "terms[" + std::to_string(i) + "]: output " + std::to_string(o) + " >= nOutputs"};
      if (p >= nPoints) throw Invalid{true, "terms[" + std::to_string(i) + "]: point " + std::to_string(p) + " >= number of points"};
      if (!zk::fr_is_canonical(e + 8)) throw Invalid{true, "terms[" + std::to_string(i) + "]: scalar is not < r"};
    }
    job.in = {std::move(points), std::move(terms)};
    job.out.resize(nOutputs * ps);
    if (g2) return [nTerms, nOutputs](Job& j) { zk::g2_sparse_combine(j.in[0].data(), j.in[1].data(), nTerms, nOutputs, j.out.data()); };
    return [nTerms, nOutputs](Job& j) { zk::g1_sparse_combine(j.in[0].data(), j.in[1].data(), nTerms, nOutputs, j.out.data()); };
  });
}

Napi::Value BatchScale(const Napi::CallbackInfo& info) {
  return run(info, [&](Prepared& job) -> Job::Fn {
    Bytes points = bytes_arg(info, 0, "points", 64);
    Bytes scalar = bytes_arg(info, 1, "scalar", 0);
    if (scalar.size() != 32) throw Invalid{true, "scalar must be 32 bytes"};
    check_scalars(scalar, "scalar");
    size_t n = points.size() / 64;
    job.in = {std::move(points), std::move(scalar)};
    job.out.resize(n * 64);
    return [n](Job& j) { zk::g1_batch_scale(j.in[0].data(), n, j.in[1].data(), j.out.data()); };
  });
}

// prepareGroth16(domainSize, nVars, nCoefs): builds what a proof over this key shape uses (the domain's NTT twiddles
// and coset factors) and pre-faults its scratch memory, so that the first proof runs as a warm one.
// mapFile(path): the file's bytes as an ArrayBuffer over a private, pre-populated memory mapping (copy-on-write, so
// writes stay in this process), unmapped when the buffer is collected. A one-shot `zkai prove` reads its zkey this way:
// no read() copy into a fresh buffer and none of that buffer's page faults, which were half of a 2^16 proof's. The
// file must not be truncated while mapped (that would fault on access), so the long-lived workers read into memory.
// Synchronous; throws an Error with the system's message (and `code`, e.g. ENOENT) when the file cannot be mapped.
Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "path must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  auto fail = [&](const char* what) {
    const int e = errno;
    Napi::Error err = Napi::Error::New(env, std::string(what) + " " + path + ": " + std::strerror(e));
    if (e == ENOENT) err.Set("code", "ENOENT");
    else if (e == EACCES) err.Set("code", "EACCES");
    else if (e == EISDIR) err.Set("code", "EISDIR");
    err.ThrowAsJavaScriptException();
    return env.Undefined();
  };
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("cannot open");
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int e = errno;
    close(fd);
    errno = e;
    return fail("cannot stat");
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    errno = EISDIR;
    return fail("cannot map");
  }
  const size_t size = (size_t)st.st_size;
  if (size == 0) {
    close(fd);
    return Napi::ArrayBuffer::New(env, 0);
  }
  // Populated read-only, then made writable: MAP_POPULATE on a writable private mapping faults every page in for
  // writing, which copies the whole file into anonymous memory (a 69 MB zkey: 69 MB copied, page by page); mapped
  // for reading it maps the page cache's pages as they are. A JavaScript write to the buffer still works (the
  // kernel copies that one page then), it just is not paid for up front.
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  int e = errno;
  close(fd);
  if (p != MAP_FAILED && mprotect(p, size, PROT_READ | PROT_WRITE) != 0) {
    e = errno;
    munmap(p, size);
    p = MAP_FAILED;
  }
  if (p == MAP_FAILED) {
    errno = e;
    return fail("cannot map");
  }
  return Napi::ArrayBuffer::New(
      env, p, size, [](Napi::Env, void* data, size_t* len) {
        munmap(data, *len);
        delete len;
      },
      new size_t(size));
}

Napi::Value PrepareGroth16(const Napi::CallbackInfo& info) {
  return run(info, [&](Prepared&) -> Job::Fn {
    size_t domainSize = count_arg(info, 0, "domainSize"), nVars = count_arg(info, 1, "nVars"), nCoefs = count_arg(info, 2, "nCoefs");
    int logn = log2_exact(domainSize);
    if (logn < 0 || logn > 27) throw Invalid{true, "domainSize must be a power of two <= 2^27"};
    return [domainSize, nVars, nCoefs](Job&) { zk::prepare_groth16(domainSize, nVars, nCoefs); };
  });
}

// poseidonParams(t, nRoundsF, nRoundsP, C, S, M, P) -> handle (synchronous: a few hundred constants).
Napi::Value PoseidonParams(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    size_t t = count_arg(info, 0, "t"), nf = count_arg(info, 1, "nRoundsF"), np = count_arg(info, 2, "nRoundsP");
    if (t < 2 || t > 6 || nf > 64 || np > 256) throw Invalid{true, "Poseidon width must be 2..6 (rounds at most 64 full, 256 partial)"};
    Bytes C = bytes_arg(info, 3, "C", 32), S = bytes_arg(info, 4, "S", 32), M = bytes_arg(info, 5, "M", 32), P = bytes_arg(info, 6, "P", 32);
    if (M.size() != 32 * t * t || P.size() != 32 * t * t) throw Invalid{true, "M and P must hold t*t elements"};
    std::string error;
    int id = zk::poseidon_params((int)t, (int)nf, (int)np, C.data(), C.size() / 32, S.data(), S.size() / 32, M.data(), P.data(), error);
    if (id < 0) throw Invalid{true, "poseidonParams: " + error};
    return Napi::Number::New(env, id);
  } catch (const Invalid& e) {
    throw_invalid(env, e);
  }
}

int poseidon_handle(const Napi::CallbackInfo& info) {
  size_t id = count_arg(info, 0, "handle");
  if (zk::poseidon_width((int)id) < 0) throw Invalid{true, "unknown Poseidon handle " + std::to_string(id)};
  return (int)id;
}

// poseidonHash(handle, inputs): inputs holds n x (t-1) elements, 32-byte big-endian; resolves n x 32 bytes.
Napi::Value PoseidonHash(const Napi::CallbackInfo& info) {
  return run(info, [&](Prepared& job) -> Job::Fn {
    int id = poseidon_handle(info);
    size_t per = 32 * (size_t)(zk::poseidon_width(id) - 1);
    Bytes inputs = bytes_arg(info, 1, "inputs", per);
    size_t n = inputs.size() / per;
    job.in = {std::move(inputs)};
    job.out.resize(n * 32);
    return [id, n](Job& j) { j.error = zk::poseidon_hash(id, j.in[0].data(), n, j.out.data()); };
  });
}

// merkleSumLevel(handle, nodes, zero): nodes n x 48 bytes (hash, sum); resolves ceil(n/2) parents of 48 bytes.
Napi::Value MerkleSumLevel(const Napi::CallbackInfo& info) {
  return run(info, [&](Prepared& job) -> Job::Fn {
    int id = poseidon_handle(info);
    if (zk::poseidon_width(id) != 5) throw Invalid{true, "merkleSumLevel needs a width-5 Poseidon handle"};
    Bytes nodes = bytes_arg(info, 1, "nodes", 48);
    Bytes zero = bytes_arg(info, 2, "zero", 0);
    if (zero.size() != 48) throw Invalid{true, "zero must be one 48-byte node"};
    size_t n = nodes.size() / 48;
    job.in = {std::move(nodes), std::move(zero)};
    job.out.resize((n + 1) / 2 * 48);
    return [id, n](Job& j) { j.error = zk::merkle_sum_level(id, j.in[0].data(), n, j.in[1].data(), j.out.data()); };
  });
}

#include "addon-fixed.inc"

// groth16Finish(key, parts, rs) -> πA ‖ πB ‖ πC (256 bytes), synchronous (well under a millisecond): see engine.hpp.
Napi::Value Groth16Finish(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    Napi::Uint8Array key = uint8_arg(info, 0, "key", 0), parts = uint8_arg(info, 1, "parts", 0), rs = uint8_arg(info, 2, "rs", 0);
    if (key.ByteLength() != 448) throw Invalid{true, "key must be 448 bytes (alpha1, beta1, delta1, beta2, delta2)"};
    if (parts.ByteLength() != 384) throw Invalid{true, "parts must be 384 bytes (A, B1, C, H, B2)"};
    if (rs.ByteLength() != 64) throw Invalid{true, "rs must be 64 bytes (r, s)"};
    check_scalars(rs.Data(), 64, "rs");
    const std::string problem = zk::groth16_finish_problem(key.Data(), parts.Data());
    if (!problem.empty()) throw Invalid{true, "groth16Finish: " + problem};
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, 256);
    zk::groth16_finish(key.Data(), parts.Data(), rs.Data(), out.Data());
    return out;
  } catch (const Invalid& e) {
    throw_invalid(env, e);
  }
}

// lookupAlphaPatch(plan, values, alpha2, out) -> true, `out` (as long as values; may be values itself) patched; false
// when α₂ is a pole (out then unchanged where it is not values). Synchronous: a few ms.
Napi::Value LookupAlphaPatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    Napi::Uint8Array plan = uint8_arg(info, 0, "plan", 0), values = uint8_arg(info, 1, "values", 32), alpha2 = uint8_arg(info, 2, "alpha2", 0),
                     out = uint8_arg(info, 3, "out", 0);
    if (alpha2.ByteLength() != 32) throw Invalid{true, "alpha2 must be 32 bytes"};
    if (out.ByteLength() != values.ByteLength()) throw Invalid{true, "out must be as long as values"};
    check_scalars(alpha2.Data(), 32, "alpha2");
    check_scalars(values.Data(), values.ByteLength(), "values");
    const uint8_t* in = values.Data();
    uint8_t* dst = out.Data();
    if (dst != in && dst < in + values.ByteLength() && in < dst + out.ByteLength()) throw Invalid{true, "out overlaps values without being values"};
    bool pole = false;
    const std::string problem = zk::lookup_alpha_patch(plan.Data(), plan.ByteLength(), in, values.ByteLength() / 32, alpha2.Data(), dst, pole);
    if (!problem.empty()) throw Invalid{true, "lookupAlphaPatch: " + problem};
    return Napi::Boolean::New(env, !pole);
  } catch (const Invalid& e) {
    throw_invalid(env, e);
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, zk::engine_version()));
  exports.Set("threads", Napi::Number::New(env, zk::engine_threads()));
  exports.Set("msmG1", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return Msm(i, false); }));
  exports.Set("msmG2", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return Msm(i, true); }));
  exports.Set("ntt", Napi::Function::New(env, Ntt));
  exports.Set("groth16Quotient", Napi::Function::New(env, Groth16Quotient));
  exports.Set("g1FixedBase", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return FixedBase(i, false); }));
  exports.Set("g2FixedBase", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return FixedBase(i, true); }));
  exports.Set("g1SparseCombine", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return SparseCombine(i, false); }));
  exports.Set("g2SparseCombine", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return SparseCombine(i, true); }));
  exports.Set("g1BatchScale", Napi::Function::New(env, BatchScale));
  exports.Set("fixedTablePlan", Napi::Function::New(env, FixedTablePlan));
  exports.Set("fixedTableBuild", Napi::Function::New(env, FixedTableBuild));
  exports.Set("msmFixed", Napi::Function::New(env, MsmFixed));
  exports.Set("groth16Finish", Napi::Function::New(env, Groth16Finish));
  exports.Set("lookupAlphaPatch", Napi::Function::New(env, LookupAlphaPatch));
  exports.Set("prepareGroth16", Napi::Function::New(env, PrepareGroth16));
  exports.Set("mapFile", Napi::Function::New(env, MapFile));
  exports.Set("modinvMismatches", Napi::Function::New(env, [](const Napi::CallbackInfo& i) {
    return Napi::Number::New(i.Env(), (double)zk::modinv_mismatches((size_t)i[0].As<Napi::Number>().Int64Value(), (uint64_t)i[1].As<Napi::Number>().Int64Value()));
  }));
  exports.Set("scratchKeptBytes", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return Napi::Number::New(i.Env(), (double)zk::scratch_kept_bytes()); }));
  exports.Set("poseidonParams", Napi::Function::New(env, PoseidonParams));
  exports.Set("poseidonHash", Napi::Function::New(env, PoseidonHash));
  exports.Set("merkleSumLevel", Napi::Function::New(env, MerkleSumLevel));
  return exports;
}

}  // namespace

NODE_API_MODULE(zkai_native, Init)
