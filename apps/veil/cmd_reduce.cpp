// `veil fit-reduction` and `veil reduce`: train a PCA or DeepMDS++ model on
// labelled embeddings and apply a saved model to an embedding file.
// DeepMDS++ training needs a libtorch build (VEIL_HAVE_TORCH); without it
// the command says so and PCA stays available. Applying any model needs no
// libtorch.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "arg_checks.h"
#include "cli_checks.h"
#include "commands.h"
#include "veil/data/embeddings.h"
#include "veil/data/npy.h"
#include "veil/data/text.h"
#include "veil/reduce/pca.h"
#include "veil/search/config.h"
#ifdef VEIL_HAVE_TORCH
#include "veil/reduce/torch/deep_mds_train.h"
#endif

namespace veil::apps {

namespace {

#ifdef VEIL_HAVE_TORCH
// Integer labels from .npy (integers or strings) or a text file, one per row.
std::vector<std::int64_t> read_label_ids(const std::filesystem::path& path) {
  std::vector<std::string> names;
  if (path.extension() == ".npy") {
    try {
      return data::read_npy_labels(path);
    } catch (const std::exception&) {
      names = data::read_npy_strings(path);
    }
  } else {
    names = data::read_labels_txt(path);
  }
  std::map<std::string, std::int64_t> ids;
  std::vector<std::int64_t> out;
  for (const auto& n : names) out.push_back(ids.emplace(n, ids.size()).first->second);
  return out;
}
#endif

}  // namespace

bool deep_mds_training_available() {
#ifdef VEIL_HAVE_TORCH
  return true;
#else
  return false;
#endif
}

std::shared_ptr<const reduce::Reducer> train_deep_mds_for_eval(
    const data::Matrix& x, const std::vector<std::int64_t>& labels, std::size_t dimension) {
#ifdef VEIL_HAVE_TORCH
  reduce::DeepMdsTrainOptions o;
  o.output_dim = dimension;
  const std::size_t per_batch = o.identities_per_batch * o.samples_per_identity;
  const std::size_t batches = (x.rows + per_batch - 1) / per_batch;
  o.epochs_per_stage = std::clamp<std::size_t>(2000 / std::max<std::size_t>(batches, 1), 2, 20);
  return std::make_shared<reduce::DeepMdsModel>(reduce::train_deep_mds(x, labels, o));
#else
  (void)x, (void)labels, (void)dimension;
  throw std::runtime_error("deepmds training needs a libtorch build");
#endif
}

void add_reduce_commands(CLI::App& app) {
  {
    struct Args {
      std::string method = "pca", input, labels, out;
      std::size_t dimension = 32, epochs = 20;
      std::uint64_t seed = 1;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "fit-reduction",
        "Train a dimensionality reduction (pca, or deepmds with a libtorch build) and save it");
    cmd->add_option("--method", a->method, "pca or deepmds")
        ->check(CLI::IsMember({"pca", "deepmds"}));
    cmd->add_option("--input", a->input, "training embeddings (.npy, .fvecs, .bvecs, .csv)")
        ->required()
        ->check(cli::input_file());
    cmd->add_option("--labels", a->labels, "identity per row (.npy or text); deepmds needs it")
        ->check(cli::input_file());
    cmd->add_option("--dimension", a->dimension, "output dimension")
        ->transform(cli::count(1, search::kMaxDimension));
    cmd->add_option("--epochs", a->epochs, "deepmds: epochs per stage")
        ->transform(cli::count(1, 10000));
    cmd->add_option("--seed", a->seed, "deepmds: batch sampling and initialisation seed")
        ->transform(cli::seed<std::uint64_t>());
    cmd->add_option("--out", a->out, "model file to write")->required()->check(cli::output_file());
    cmd->callback([a] {
      args::check_output_file("--out", a->out, {{"--input", a->input}, {"--labels", a->labels}});
      const data::Matrix x = data::read_embeddings(a->input).matrix;
      if (x.rows == 0) throw std::runtime_error(a->input + " holds no embeddings");
      if (a->dimension > x.cols) {
        throw std::invalid_argument("--dimension " + std::to_string(a->dimension) +
                                    " is above the input dimension " + std::to_string(x.cols));
      }
      if (a->method == "pca") {
        const reduce::PcaModel m = reduce::PcaModel::fit(x, a->dimension);
        reduce::write_model(a->out, m);
        std::cout << "wrote " << a->out << ": " << m.describe() << "\n";
        return;
      }
#ifdef VEIL_HAVE_TORCH
      if (a->labels.empty()) throw std::invalid_argument("deepmds needs --labels (identities)");
      const std::vector<std::int64_t> labels = read_label_ids(a->labels);
      reduce::DeepMdsTrainOptions o;
      o.output_dim = a->dimension;
      o.epochs_per_stage = a->epochs;
      o.seed = a->seed;
      const reduce::DeepMdsModel m =
          reduce::train_deep_mds(x, labels, o, [](const reduce::TrainProgress& p) {
            if (p.epoch == p.epochs || p.epoch == 1) {
              std::cerr << "stage " << p.stage << "/" << p.stages << " (" << p.input_dim << "->"
                        << p.output_dim << ") epoch " << p.epoch << "/" << p.epochs << ": loss "
                        << p.loss << "\n";
            }
          });
      reduce::write_model(a->out, m);
      std::cout << "wrote " << a->out << ": " << m.describe() << "\n";
#else
      throw std::runtime_error(
          "deepmds training is not available in this build (libtorch was not found when it was "
          "configured: install libtorch-dev, or use --method pca); applying a saved deepmds "
          "model works without it");
#endif
    });
  }
  {
    struct Args {
      std::string model, input, out;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd =
        app.add_subcommand("reduce", "Apply a saved reduction model to embeddings (.npy out)");
    cmd->add_option("--model", a->model, "model file (veil fit-reduction)")
        ->required()
        ->check(cli::input_file());
    cmd->add_option("--input", a->input, "embeddings")->required()->check(cli::input_file());
    cmd->add_option("--out", a->out, ".npy file to write")->required()->check(cli::output_file());
    cmd->callback([a] {
      args::check_output_file("--out", a->out, {{"--model", a->model}, {"--input", a->input}});
      const data::Matrix x = data::read_embeddings(a->input).matrix;
      if (x.rows == 0) throw std::runtime_error(a->input + " holds no embeddings");
      const auto m = reduce::read_model(a->model, x.cols);
      data::write_npy(a->out, m->apply(x));
      std::cout << "wrote " << a->out << ": " << x.rows << " rows, " << m->describe() << "\n";
    });
  }
}

}  // namespace veil::apps
