#include <iostream>

#include "commands.h"
#include "key_files.h"

namespace veil::apps {

void add_keygen_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("keygen", "Generate a key directory (secret key mode 0600)");
  cmd->add_option("dir", *dir, "directory to create the keys in")->required();
  cmd->callback([dir] {
    write_new_keys(*dir);
    std::cout << "keys written to " << *dir
              << " (secret.key stays with the key holder; public.key and expansion.keys may be "
                 "shared)\n";
  });
}

}  // namespace veil::apps
