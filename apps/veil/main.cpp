// The `veil` command line: keys, enrollment, encrypted search, the gallery
// store and benchmarks. Errors become a message on stderr and exit code 1
// (2 for usage errors).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "commands.h"

namespace {
// `veil serve ...` and `veil keyservice ...` run the separate server
// programs beside this one (they link neither libtorch nor, for the search
// server, the decryption code).
int exec_sibling(const char* program, int argc, char** argv) {
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
  const std::string path = (self.parent_path() / program).string();
  std::vector<char*> args{const_cast<char*>(path.c_str())};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(path.c_str(), args.data());
  std::cerr << "veil: error: cannot run " << path << ": " << std::strerror(errno) << "\n";
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "serve") == 0)
    return exec_sibling("veil-serve", argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "keyservice") == 0)
    return exec_sibling("veil-keyservice", argc, argv);
  CLI::App app{"veil: privacy-preserving embedding search"};
  app.require_subcommand(1);
  veil::apps::add_keygen_command(app);
  veil::apps::add_gallery_commands(app);
  veil::apps::add_search_command(app);
  veil::apps::add_generate_command(app);
  veil::apps::add_bench_command(app);
  veil::apps::add_reduce_commands(app);
  veil::apps::add_eval_command(app);
  veil::apps::add_client_commands(app);
  veil::apps::add_bench_service_command(app);
  veil::apps::add_token_commands(app);
  veil::apps::add_ann_commands(app);
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
