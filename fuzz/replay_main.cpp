// Deterministic replay driver: runs a fuzz target without libFuzzer.
//
//   <name>_replay                       seeds, then mutated seeds (CTest runs this)
//   <name>_replay --iterations N --seed S --max-seconds T
//   <name>_replay --write-seeds DIR     writes the seeds as a libFuzzer corpus
//   <name>_replay FILE...               replays the given inputs (e.g. crash-*)
//
// Inputs are the target's own seeds, then mutations of them drawn from a fixed
// pseudo-random sequence (splitmix64): bit flips, byte sets, truncations,
// insertions, deletions, edits of would-be length fields with boundary values,
// splices of two seeds, and plain random bytes. A crash, a broken invariant
// (abort) or an escaping exception fails the run; the input is saved to
// <name>-finding.bin in the working directory first.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_target.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#include <sanitizer/common_interface_defs.h>
#define VEIL_REPLAY_SANITIZED 1
#endif

#ifndef VEIL_FUZZ_TARGET_NAME
#error "VEIL_FUZZ_TARGET_NAME must name the fuzz target"
#endif

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr const char* kName = VEIL_FUZZ_TARGET_NAME;
constexpr const char* kFindingFile = VEIL_FUZZ_TARGET_NAME "-finding.bin";

// The input being run, for the signal handler.
const std::uint8_t* volatile g_data = nullptr;
volatile std::size_t g_size = 0;

void write_all(int fd, const void* p, std::size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = ::write(fd, c, n);
    if (w <= 0) return;
    c += w;
    n -= static_cast<std::size_t>(w);
  }
}

void say(const char* s) { write_all(2, s, std::strlen(s)); }

// Saves the current input; uses only async-signal-safe calls.
void save_finding() {
  int fd = ::open(kFindingFile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  write_all(fd, g_data, g_size);
  ::close(fd);
  say("replay: input saved to ");
  say(kFindingFile);
  say(" (replay it with: ");
  say(kName);
  say("_replay ");
  say(kFindingFile);
  say(")\n");
}

extern "C" void on_signal(int sig) {
  say("replay: fatal signal while running an input\n");
  save_finding();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform enough below n (n > 0) for a test driver.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t s_;
};

void put_le(Bytes& b, std::size_t pos, std::uint64_t v, std::size_t width) {
  for (std::size_t i = 0; i < width && pos + i < b.size(); ++i) {
    b[pos + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

std::uint64_t boundary_value(SplitMix64& rng, std::size_t size) {
  switch (rng.below(12)) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
      return size;
    case 3:
      return size - 1;
    case 4:
      return size + 1;
    case 5:
      return 0xff;
    case 6:
      return 0xffff;
    case 7:
      return 0xffffffffull;
    case 8:
      return 0x100000000ull;
    case 9:
      return 0x7fffffffffffffffull;
    case 10:
      return 0xffffffffffffffffull;
    default:
      return rng.below(1 << 16);
  }
}

void mutate_once(Bytes& b, const std::vector<Bytes>& seeds, SplitMix64& rng) {
  switch (rng.below(8)) {
    case 0:  // flip one bit
      if (!b.empty()) b[rng.below(b.size())] ^= static_cast<std::uint8_t>(1u << rng.below(8));
      break;
    case 1:  // set one byte
      if (!b.empty()) b[rng.below(b.size())] = static_cast<std::uint8_t>(rng.next());
      break;
    case 2:  // truncate
      b.resize(rng.below(b.size() + 1));
      break;
    case 3: {  // insert 1-16 random bytes
      std::size_t pos = rng.below(b.size() + 1), n = 1 + rng.below(16);
      Bytes ins(n);
      for (auto& x : ins) x = static_cast<std::uint8_t>(rng.next());
      b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos), ins.begin(), ins.end());
      break;
    }
    case 4: {  // delete a range
      if (b.empty()) break;
      std::size_t pos = rng.below(b.size());
      std::size_t n = 1 + rng.below(std::min<std::size_t>(b.size() - pos, 32));
      b.erase(b.begin() + static_cast<std::ptrdiff_t>(pos),
              b.begin() + static_cast<std::ptrdiff_t>(pos + n));
      break;
    }
    case 5:    // overwrite a would-be length field with a boundary value
    case 6: {  // (twice as likely: sizes and counts are where loaders break)
      if (b.empty()) break;
      static constexpr std::size_t kWidths[] = {2, 4, 8};
      std::size_t width = kWidths[rng.below(3)];
      std::size_t pos = rng.below(b.size());
      if (rng.below(2) == 0) pos -= pos % width;  // often aligned
      put_le(b, pos, boundary_value(rng, b.size()), width);
      break;
    }
    default: {  // splice: a prefix of this input, the suffix of another seed
      const Bytes& other = seeds[rng.below(seeds.size())];
      std::size_t cut = rng.below(b.size() + 1), from = rng.below(other.size() + 1);
      b.resize(cut);
      b.insert(b.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
      break;
    }
  }
}

void run_one(const Bytes& input) {
  // A private copy of exactly the input's size, so that ASan catches reads
  // past the end as libFuzzer would.
  std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[input.size() ? input.size() : 1]);
  if (!input.empty()) std::memcpy(copy.get(), input.data(), input.size());
  g_data = copy.get();
  g_size = input.size();
  try {
    LLVMFuzzerTestOneInput(copy.get(), input.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replay: exception escaped the target: %s\n", e.what());
    save_finding();
    std::exit(1);
  } catch (...) {
    std::fprintf(stderr, "replay: unknown exception escaped the target\n");
    save_finding();
    std::exit(1);
  }
  g_data = nullptr;
  g_size = 0;
}

Bytes read_input(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot open %s\n", path);
    std::exit(2);
  }
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int write_seeds(const char* dir, const std::vector<Bytes>& seeds) {
  std::filesystem::create_directories(dir);
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    auto path = std::filesystem::path(dir) / ("seed-" + std::to_string(i));
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(seeds[i].data()),
              static_cast<std::streamsize>(seeds[i].size()));
    if (!out) {
      std::fprintf(stderr, "replay: cannot write %s\n", path.c_str());
      return 2;
    }
  }
  std::printf("%s: wrote %zu seeds to %s\n", kName, seeds.size(), dir);
  return 0;
}

std::uint64_t number_arg(int& i, int argc, char** argv) {
  if (i + 1 >= argc) {
    std::fprintf(stderr, "replay: %s needs a value\n", argv[i]);
    std::exit(2);
  }
  return std::strtoull(argv[++i], nullptr, 0);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t iterations = 10000, seed = 1, max_seconds = 10;
  std::vector<const char*> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations") {
      iterations = number_arg(i, argc, argv);
    } else if (a == "--seed") {
      seed = number_arg(i, argc, argv);
    } else if (a == "--max-seconds") {
      max_seconds = number_arg(i, argc, argv);
    } else if (a == "--write-seeds") {
      if (i + 1 >= argc) return std::fprintf(stderr, "replay: --write-seeds needs a DIR\n"), 2;
      return write_seeds(argv[i + 1], veil::fuzz::seed_inputs());
    } else if (a.starts_with("--")) {
      std::fprintf(stderr,
                   "usage: %s [--iterations N] [--seed S] [--max-seconds T] "
                   "[--write-seeds DIR] [FILE...]\n",
                   argv[0]);
      return 2;
    } else {
      files.push_back(argv[i]);
    }
  }
#ifdef VEIL_REPLAY_SANITIZED
  // Keep the sanitizers' own SEGV reports; they call this before exiting.
  __sanitizer_set_death_callback(save_finding);
  std::signal(SIGABRT, on_signal);
#else
  for (int sig : {SIGSEGV, SIGABRT, SIGFPE, SIGILL, SIGBUS}) std::signal(sig, on_signal);
#endif

  if (!files.empty()) {
    for (const char* f : files) {
      run_one(read_input(f));
      std::printf("%s: %s ran without findings\n", kName, f);
    }
    return 0;
  }

  const std::vector<Bytes> seeds = veil::fuzz::seed_inputs();
  if (seeds.empty()) {
    std::fprintf(stderr, "replay: %s has no seed inputs\n", kName);
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(max_seconds);
  SplitMix64 rng(seed);
  std::uint64_t ran = 0;
  for (; ran < iterations; ++ran) {
    Bytes input;
    if (ran < seeds.size()) {
      input = seeds[ran];
    } else if (ran % 16 == 0) {  // plain random bytes
      input.resize(rng.below(256));
      for (auto& x : input) x = static_cast<std::uint8_t>(rng.next());
    } else {
      input = seeds[rng.below(seeds.size())];
      for (std::size_t m = 1 + rng.below(4); m > 0; --m) mutate_once(input, seeds, rng);
    }
    run_one(input);
    if (ran % 64 == 0 && std::chrono::steady_clock::now() > deadline) {
      std::printf("%s: time limit of %llu s reached\n", kName,
                  static_cast<unsigned long long>(max_seconds));
      ++ran;
      break;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %llu inputs (%zu seeds, seed %llu) in %.2f s, no findings\n", kName,
              static_cast<unsigned long long>(ran), seeds.size(),
              static_cast<unsigned long long>(seed), secs);
  return 0;
}
