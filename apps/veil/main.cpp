// The `veil` command line: keys, enrollment, encrypted search, the gallery
// store and benchmarks. Errors become a message on stderr and exit code 1
// (2 for usage errors).
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"veil: privacy-preserving embedding search"};
  app.require_subcommand(1);
  veil::apps::add_keygen_command(app);
  veil::apps::add_gallery_commands(app);
  veil::apps::add_search_command(app);
  veil::apps::add_generate_command(app);
  veil::apps::add_bench_command(app);
  veil::apps::add_reduce_commands(app);
  veil::apps::add_eval_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "veil: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
