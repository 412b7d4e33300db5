// `veil eval`: accuracy / speed evaluation of dimensionality reductions and
// search modes, written as a report folder (eval.json, eval.md, PNG plots).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "arg_checks.h"
#include "cli_checks.h"
#include "commands.h"
#include "eval.h"
#include "eval_report.h"
#include "veil/search/parallel.h"
#include "veil/search/rerank_wire.h"

namespace veil::apps {

namespace {
// The generated set holds 2 x 512 floats per identity (4 kB), and plaintext
// evaluation compares every probe with every gallery row.
constexpr std::uint64_t kMaxGeneratedIdentities = 1'000'000;
}  // namespace

void add_eval_command(CLI::App& app) {
  struct Args {
    std::vector<std::string> datasets{"facenet"};
    std::vector<std::string> reductions{"none,pca-16,pca-32,pca-64"};
    std::vector<std::string> modes{"plaintext,encrypted,two-stage"};
    std::vector<std::string> candidates{"100,1000"};
    std::string deepmds_model;
    std::string out;
    eval::EvalOptions o;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Evaluate reductions and search modes (rank-1/10, TAR@FAR, recall@10, ms/probe)");
  cmd->add_option("--dataset", a->datasets,
                  "facenet|mnist|mnist-cnn|fmnist|generated (repeatable or comma list; default "
                  "facenet). mnist-cnn: MNIST through a CNN trained here (64-d; libtorch builds "
                  "only)");
  cmd->add_option("--datasets", a->o.datasets_dir, "data sets folder (../shared/datasets)")
      ->check(cli::dir(false));
  cmd->add_option("--reductions", a->reductions,
                  "none,pca-D,deepmds-D (comma list; default none,pca-16,pca-32,pca-64)");
  cmd->add_option("--deepmds-model", a->deepmds_model,
                  "a saved DeepMDS++ model (veil model file) for the deepmds-D rows")
      ->check(cli::input_file());
  cmd->add_option("--modes", a->modes, "plaintext,encrypted,two-stage (plaintext always runs)");
  cmd->add_option("--K", a->candidates, "two-stage candidates, comma list (100,1000)")
      ->check(cli::count_list(1, search::kMaxCandidates));
  cmd->add_option("--generated-identities", a->o.generated_identities,
                  "identities of the generated set (20000)")
      ->transform(cli::count(2, kMaxGeneratedIdentities));
  // The range of --mnist-cnn-images is checked by eval::check_options (its
  // message says why the bound is 50000); here only that it is a count.
  cmd->add_option("--mnist-cnn-images", a->o.mnist_cnn_images,
                  "mnist-cnn: train images the CNN learns from (first of train, 1..50000; 50000)")
      ->transform(cli::count(0, 1'000'000));
  cmd->add_option("--mnist-cnn-epochs", a->o.mnist_cnn_epochs, "mnist-cnn: CNN epochs (2)")
      ->transform(cli::count(1, 1000));
  cmd->add_option("--max-probes", a->o.max_probes,
                  "probes of the encrypted and two-stage modes (500)")
      ->transform(cli::count(1, 1'000'000));
  cmd->add_option("--threads", a->o.threads, "threads (default 0: all cores)")
      ->transform(cli::threads());
  cmd->add_option("--seed", a->o.seed, "generator and mnist-cnn training seed (public)")
      ->transform(cli::seed<std::uint64_t>());
  cmd->add_option("--out", a->out, "report folder (created)")->required()->check(cli::dir(false));
  cmd->callback([a] {
    args::check_output_dir(
        "--out", a->out,
        {{"--datasets", a->o.datasets_dir}, {"--deepmds-model", a->deepmds_model}});
    eval::EvalOptions o = a->o;
    o.datasets = eval::parse_datasets(a->datasets);
    o.reductions = eval::parse_reductions(a->reductions);
    o.modes = eval::parse_modes(a->modes);
    o.candidates = eval::parse_counts(a->candidates, "--K");
    if (!a->deepmds_model.empty()) o.deepmds_model = a->deepmds_model;
    eval::check_options(o);
    std::filesystem::create_directories(a->out);
    nlohmann::json result = eval::run_eval(o);
    std::cout << eval::write_report(result, a->out);
    std::cerr << "eval: wrote " << (std::filesystem::path(a->out) / "eval.md").string() << ", "
              << (std::filesystem::path(a->out) / "eval.json").string() << " and the plots\n";
  });
}

}  // namespace veil::apps
