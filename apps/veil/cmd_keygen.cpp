#include <iostream>

#include "cli_checks.h"
#include "commands.h"
#include "veil/collection/keys.h"

namespace veil::apps {

using namespace collection;

void add_keygen_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto dims = std::make_shared<std::size_t>(kDefaultGalleryKeyDimension);
  CLI::App* cmd = app.add_subcommand("keygen", "Generate a key directory (secret key mode 0600)");
  cmd->add_option("dir", *dir, "directory to create the keys in")
      ->required()
      ->check(cli::dir(false));
  cmd->add_option("--gallery-dimension", *dims,
                  "dimensions gallery.pub covers (third-party enrollment); 0 skips it")
      ->capture_default_str()
      ->transform(cli::count(0, search::kMaxDimension));
  cmd->callback([dir, dims] {
    write_new_keys(*dir, *dims);
    const KeyDir k = load_keys(*dir, 0);
    std::cout << "keys written to " << *dir
              << " (secret.key stays with the key holder; public.key, gallery.pub and "
                 "expansion.keys may be shared)\nkey id "
              << k.key_id.hex() << "\n";
  });

  auto gdir = std::make_shared<std::string>();
  auto gdims = std::make_shared<std::size_t>(kDefaultGalleryKeyDimension);
  CLI::App* g = app.add_subcommand(
      "gallery-key", "Rewrite gallery.pub (third-party enrollment keys) for more dimensions");
  g->add_option("dir", *gdir, "key directory with secret.key")->required()->check(cli::dir(true));
  g->add_option("--dimension", *gdims, "dimensions to cover")
      ->capture_default_str()
      ->transform(cli::count(1, search::kMaxDimension));
  g->callback([gdir, gdims] {
    write_gallery_public_key(*gdir, *gdims);
    std::cout << "gallery.pub in " << *gdir << " now covers " << *gdims << " dimensions\n";
  });
}

}  // namespace veil::apps
