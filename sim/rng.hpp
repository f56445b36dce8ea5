// Deterministic pseudo-random numbers for the simulator.
//
// `Rng` is xoshiro256** seeded through splitmix64, with our own sampling code for
// every distribution (std::*_distribution output differs between standard libraries,
// so it must never be used where results are recorded). `RngStreams` derives one
// independent generator per purpose ("network", "faults", "clients", ...) from the
// run's seed and the stream's name, so drawing more numbers in one part of the
// simulator never shifts the numbers another part sees.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace knhk::sim {

// One step of splitmix64 (Steele, Lea, Flood 2014); also used to mix seeds.
std::uint64_t splitmix64(std::uint64_t& state);
// A well-mixed 64-bit hash of a seed and a name, stable across platforms.
std::uint64_t derive_seed(std::uint64_t seed, const std::string& name);

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);

  std::uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double uniform01();
  // Uniform integer in [0, n) without modulo bias; n must be > 0.
  std::uint64_t below(std::uint64_t n);
  // Uniform in [lo, hi).
  double uniform(double lo, double hi);
  // True with probability p (p <= 0 never, p >= 1 always; draws nothing in those cases).
  bool bernoulli(double p);
  // Normal by the Marsaglia polar method (uses only log and sqrt).
  double normal(double mean, double stddev);
  // exp(N(log(median), sigma)).
  double lognormal(double median, double sigma);
  // Exponential with the given mean, by inversion.
  double exponential(double mean);

 private:
  std::uint64_t s_[4];
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

class RngStreams {
 public:
  explicit RngStreams(std::uint64_t seed) : seed_(seed) {}
  std::uint64_t seed() const { return seed_; }
  // The stream for `name`, created on first use from derive_seed(seed, name).
  // References stay valid for the lifetime of this object.
  Rng& stream(const std::string& name);

 private:
  std::uint64_t seed_;
  std::map<std::string, Rng> streams_;
};

}  // namespace knhk::sim
