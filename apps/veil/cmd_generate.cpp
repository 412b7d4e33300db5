// `veil generate`: a synthetic gallery and probes whose true matches are
// known (each probe is a noisy copy of one gallery row), for demos and tests.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli_checks.h"
#include "commands.h"
#include "synthetic.h"
#include "veil/data/npy.h"

namespace veil::apps {

namespace {
// The largest gallery written (rows x dimension floats, 4 GB).
constexpr std::size_t kMaxValues = 1'000'000'000;
}  // namespace

void add_generate_command(CLI::App& app) {
  struct Args {
    std::string out;
    std::size_t n = 10000, d = 128, probes = 5;
    double noise = 0.5;
    std::uint32_t seed = 1;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("generate", "Write a synthetic gallery.npy, probes.npy and truth.txt");
  cmd->add_option("out", a->out, "output directory")->required()->check(cli::dir(false));
  cmd->add_option("--n", a->n, "gallery rows")->transform(cli::count(1, 100000000));
  cmd->add_option("--d", a->d, "dimension")->transform(cli::count(1, 4096));
  cmd->add_option("--probes", a->probes, "probe rows (noisy copies of random gallery rows)")
      ->transform(cli::count(1, 100000));
  cmd->add_option("--noise", a->noise, "probe noise relative to the unit row")
      ->check(cli::real(0.0, 10.0));
  cmd->add_option("--seed", a->seed, "generator seed (synthetic data, not secrets)")
      ->transform(cli::seed<std::uint32_t>());
  cmd->callback([a] {
    if (a->n * a->d > kMaxValues) {
      throw std::invalid_argument("--n " + std::to_string(a->n) + " x --d " + std::to_string(a->d) +
                                  " = " + std::to_string(a->n * a->d) +
                                  " values is above the limit of " + std::to_string(kMaxValues) +
                                  " (4 GB of floats)");
    }
    std::filesystem::create_directories(a->out);
    SyntheticStream gen(a->seed);
    auto normalise = [](float* x, std::size_t d) {
      double s = 0;
      for (std::size_t j = 0; j < d; ++j) s += static_cast<double>(x[j]) * x[j];
      const float f = static_cast<float>(1.0 / std::sqrt(s));
      for (std::size_t j = 0; j < d; ++j) x[j] *= f;
    };
    data::Matrix g{a->n, a->d, std::vector<float>(a->n * a->d)};
    for (std::size_t i = 0; i < a->n; ++i) {
      for (std::size_t j = 0; j < a->d; ++j) g.values[i * a->d + j] = gen.normal();
      normalise(g.row(i), a->d);
    }
    data::Matrix p{a->probes, a->d, std::vector<float>(a->probes * a->d)};
    std::ofstream truth(std::filesystem::path(a->out) / "truth.txt");
    const float scale = static_cast<float>(a->noise / std::sqrt(static_cast<double>(a->d)));
    for (std::size_t i = 0; i < a->probes; ++i) {
      const std::size_t src = static_cast<std::size_t>(gen.below(a->n));
      for (std::size_t j = 0; j < a->d; ++j)
        p.values[i * a->d + j] = g.row(src)[j] + scale * gen.normal();
      normalise(p.row(i), a->d);
      truth << "gallery:" << src << "\n";
    }
    data::write_npy(std::filesystem::path(a->out) / "gallery.npy", g);
    data::write_npy(std::filesystem::path(a->out) / "probes.npy", p);
    std::cout << "wrote " << a->out << "/gallery.npy (" << a->n << " x " << a->d
              << "), probes.npy (" << a->probes << "), truth.txt\n";
  });
}

}  // namespace veil::apps
