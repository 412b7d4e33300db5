// Subcommands of `veil`, one registration function each.
#pragma once

#include <CLI/CLI.hpp>

namespace veil::apps {
void add_keygen_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_gallery_commands(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_reduce_commands(CLI::App& app);
// Whether this build can train DeepMDS++ (libtorch was found at configure time).
bool deep_mds_training_available();
void add_eval_command(CLI::App& app);
}  // namespace veil::apps
