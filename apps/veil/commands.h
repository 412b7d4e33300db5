// Subcommands of `veil`, one registration function each.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "veil/reduce/model.h"

namespace veil::apps {
void add_keygen_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_gallery_commands(CLI::App& app);
void add_search_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_reduce_commands(CLI::App& app);
// Whether this build can train DeepMDS++ (libtorch was found at configure time).
bool deep_mds_training_available();
// Trains DeepMDS++ (libtorch builds only; std::runtime_error otherwise) with
// the default options and 2000 / ceil(rows / 64) epochs per stage, clamped
// to 2..20. A set with fewer than 16 identities has smaller batches (P is
// capped at the identity count), so more of them per epoch: 140 batches per
// stage on FaceNet's 263 training rows, 3,000 on mnist-cnn's 10,000.
std::shared_ptr<const reduce::Reducer> train_deep_mds_for_eval(
    const data::Matrix& x, const std::vector<std::int64_t>& labels, std::size_t dimension);
void add_eval_command(CLI::App& app);
// veil client ... (a deployed server) and veil token ... (its token files).
void add_client_commands(CLI::App& app);
void add_bench_service_command(CLI::App& app);
void add_token_commands(CLI::App& app);
void add_ann_commands(CLI::App& app);
}  // namespace veil::apps
