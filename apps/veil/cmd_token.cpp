// veil token: the token file a server or key service checks calls against
// (service/tokens.h): create it, add a token (shown once), revoke, list.
#include <sodium.h>

#include <iostream>
#include <memory>

#include "commands.h"
#include "veil/io/file_io.h"
#include "veil/service/tokens.h"

namespace veil::apps {

void add_token_commands(CLI::App& app) {
  CLI::App* token = app.add_subcommand("token", "API tokens of veil serve / veil keyservice");
  token->require_subcommand(1);
  {
    auto file = std::make_shared<std::string>();
    CLI::App* cmd = token->add_subcommand("create", "a new, empty token file (mode 0600)");
    cmd->add_option("file", *file, "the token file")->required();
    cmd->callback([file] {
      service::TokenStore::create(*file);
      std::cout << "created token file " << *file << "\n";
    });
  }
  {
    struct Args {
      std::string file, name, role, collection = "*", out;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = token->add_subcommand("add", "a token for a caller; printed once");
    cmd->add_option("file", a->file, "the token file")->required();
    cmd->add_option("--name", a->name, "who holds it (unique)")->required();
    cmd->add_option("--role", a->role, "enroll, search, admin or server")
        ->required()
        ->check(CLI::IsMember({"enroll", "search", "admin", "server"}));
    cmd->add_option("--collection", a->collection, "the collection it may use, or *")
        ->capture_default_str();
    cmd->add_option("--out", a->out, "write the token to this file (mode 0600) instead of stdout");
    cmd->callback([a] {
      service::TokenStore store = service::TokenStore::load(a->file);
      std::string t = store.add(a->name, *service::parse_role(a->role), a->collection);
      if (!a->out.empty()) {
        const std::string line = t + "\n";
        io::write_file_atomic(
            a->out, {reinterpret_cast<const std::uint8_t*>(line.data()), line.size()}, 0600);
        std::cout << "token for " << a->name << " (" << a->role << " on " << a->collection
                  << ") written to " << a->out << "\n";
      } else {
        std::cout << t << "\n";
      }
      sodium_memzero(t.data(), t.size());
    });
  }
  {
    auto a = std::make_shared<std::pair<std::string, std::string>>();
    CLI::App* cmd = token->add_subcommand("revoke", "remove a caller's token");
    cmd->add_option("file", a->first, "the token file")->required();
    cmd->add_option("name", a->second, "the caller")->required();
    cmd->callback([a] {
      service::TokenStore::load(a->first).revoke(a->second);
      std::cout << "revoked the token of " << a->second << "\n";
    });
  }
  {
    auto file = std::make_shared<std::string>();
    CLI::App* cmd = token->add_subcommand("list", "callers, roles and scopes (never tokens)");
    cmd->add_option("file", *file, "the token file")->required();
    cmd->callback([file] {
      for (const auto& t : service::TokenStore::load(*file).list()) {
        std::cout << t.name << "\t" << service::role_name(t.role) << "\t" << t.collection << "\t"
                  << t.created << "\n";
      }
    });
  }
}

}  // namespace veil::apps
