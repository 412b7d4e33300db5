// Internal: a minimal RAII wrapper over the SQLite C API. Every failure is a
// StoreError naming the database file and SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace veil::store::detail {

class Db;

class Stmt {
 public:
  Stmt(const Db& db, std::string_view sql);
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view text);
  Stmt& bind_blob(int i, std::span<const std::uint8_t> blob);
  Stmt& bind_null(int i);
  // True while a row is available; false when done.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  void reset();

  std::int64_t i64(int col) const;
  std::string text(int col) const;
  std::optional<std::string> text_or_null(int col) const;
  std::span<const std::uint8_t> blob(int col) const;

 private:
  const Db& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Db {
 public:
  // flags: SQLITE_OPEN_READONLY or SQLITE_OPEN_READWRITE [| SQLITE_OPEN_CREATE].
  Db(const std::filesystem::path& path, int flags);
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  void exec(const char* sql) const;
  std::int64_t changes() const;
  sqlite3* get() const { return db_; }
  const std::filesystem::path& path() const { return path_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed uncommitted.
class Transaction {
 public:
  explicit Transaction(const Db& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  const Db& db_;
  bool done_ = false;
};

}  // namespace veil::store::detail
