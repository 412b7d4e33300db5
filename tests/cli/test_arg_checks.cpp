// The boundary checks of every `veil` option (apps/veil/arg_checks.h) and
// their CLI11 validators (apps/veil/cli_checks.h).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>

#include "arg_checks.h"
#include "cli_checks.h"

namespace veil::apps {
namespace {

namespace fs = std::filesystem;

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// The message of the std::invalid_argument `expr` throws contains
// `fragment` (the message is printed when it does not).
#define EXPECT_REFUSED(expr, fragment)                                         \
  EXPECT_NE(error_of([&] { (void)(expr); }).find(fragment), std::string::npos) \
      << "got: " << error_of([&] { (void)(expr); })

TEST(ArgChecks, Counts) {
  using args::parse_count;
  EXPECT_EQ(parse_count("0", "--threads", 0, 1024), 0u);
  EXPECT_EQ(parse_count("1024", "--threads", 0, 1024), 1024u);
  EXPECT_EQ(parse_count("010", "-k", 1, 100), 10u);  // decimal, never octal
  EXPECT_EQ(parse_count("1e4", "--n", 1, 100000), 10000u);
  EXPECT_EQ(parse_count("2.5e3", "--n", 1, 100000), 2500u);
  EXPECT_EQ(parse_count(" 7 ", "--n", 1, 10), 7u);
  EXPECT_EQ(
      parse_count("18446744073709551615", "--seed", 0, std::numeric_limits<std::uint64_t>::max()),
      std::numeric_limits<std::uint64_t>::max());
  // The option, the value and the bound are in every message.
  EXPECT_EQ(error_of([] { parse_count("100000", "--threads", 0, 1024); }),
            "--threads: 100000 is above the limit of 1024");
  EXPECT_EQ(error_of([] { parse_count("-1", "--threads", 0, 1024); }),
            "--threads: -1 is negative (expected a whole number from 0 to 1024)");
  EXPECT_EQ(error_of([] { parse_count("0", "-k", 1, 100); }), "-k: 0 is below the minimum of 1");
  EXPECT_REFUSED(parse_count("-0.5", "--n", 0, 10), "is negative");
  EXPECT_REFUSED(parse_count("99999999999999999999999", "--n", 0, 10), "above the limit of 10");
  EXPECT_REFUSED(parse_count("1e400", "--n", 0, 10), "above the limit of 10");
  EXPECT_REFUSED(parse_count("1e30", "--seed", 0, std::numeric_limits<std::uint64_t>::max()),
                 "above the limit");
  for (const char* bad :
       {"", "abc", "nan", "inf", "-inf", "0x10", "1.5", "+3", "3k", "1e-1", "1,2", "--1", "\x01"}) {
    EXPECT_REFUSED(parse_count(bad, "--n", 0, 1000), "--n: ") << bad;
  }
  EXPECT_REFUSED(parse_count("nan", "--n", 0, 1000), "'nan' is not a whole number");
  // Control characters in a value are shown escaped.
  EXPECT_REFUSED(parse_count("1\x01", "--n", 0, 1000), "'1\\x01'");
  // Without an option (a CLI11 validator adds it), no prefix.
  EXPECT_EQ(error_of([] { parse_count("5", "", 6, 7); }), "5 is below the minimum of 6");
}

TEST(ArgChecks, CountLists) {
  using args::parse_count_list;
  EXPECT_EQ(parse_count_list("1e4, 1e5,100", "--n", 1, 1000000),
            (std::vector<std::uint64_t>{10000, 100000, 100}));
  EXPECT_REFUSED(parse_count_list("16,nan", "--d", 1, 4096), "--d: 'nan' is not a whole number");
  EXPECT_REFUSED(parse_count_list("16,-1", "--d", 1, 4096), "-1 is negative");
  EXPECT_REFUSED(parse_count_list("16,5000", "--d", 1, 4096), "5000 is above the limit of 4096");
  EXPECT_REFUSED(parse_count_list("", "--d", 1, 4096), "empty item");
  EXPECT_REFUSED(parse_count_list("16,,32", "--d", 1, 4096), "empty item");
  EXPECT_REFUSED(parse_count_list("16,", "--d", 1, 4096), "empty item");
}

TEST(ArgChecks, Reals) {
  using args::parse_real;
  EXPECT_EQ(parse_real("0.8", "--threshold", -1, 1), 0.8);
  EXPECT_EQ(parse_real("-1", "--threshold", -1, 1), -1.0);
  EXPECT_EQ(parse_real("+1e-1", "--threshold", -1, 1), 0.1);
  for (const char* nonfinite : {"nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999"}) {
    EXPECT_REFUSED(parse_real(nonfinite, "--threshold", -1, 1), "is not a finite number")
        << nonfinite;
  }
  EXPECT_EQ(error_of([] { parse_real("nan", "--noise", 0, 10); }),
            "--noise: nan is not a finite number (expected a finite number from 0 to 10)");
  EXPECT_EQ(error_of([] { parse_real("1.5", "--threshold", -1, 1); }),
            "--threshold: 1.5 is outside the range -1 to 1");
  for (const char* bad : {"", "x", "0x1p3", "1.0.0", "+-1", "1 2"}) {
    EXPECT_REFUSED(parse_real(bad, "--noise", 0, 10), "--noise: ") << bad;
  }
}

TEST(ArgChecks, Text) {
  args::check_text("faces:17", "id");
  args::check_text("Zo\xC3\xAB", "label");
  EXPECT_EQ(error_of([] { args::check_text("a\x01z", "--id"); }),
            "--id 'a\\x01z': control character U+0001 at byte 1 (ids and labels must be valid "
            "UTF-8 without control characters)");
  EXPECT_REFUSED(args::check_text("ok\xFF", "id"), "'ok\\xFF': invalid UTF-8 at byte 2");
  EXPECT_REFUSED(args::check_text("a\tb", "id"), "U+0009");
  EXPECT_EQ(args::printable(std::string(100, 'x')).size(), 63u);  // 60 shown + "..."
}

class ArgFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "veil-args-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ / "model.vrm") << "m";
    std::ofstream(dir_ / "in.npy") << "x";
    fs::create_directory(dir_ / "keys");
    ASSERT_EQ(::mkfifo((dir_ / "pipe.npy").c_str(), 0600), 0);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(ArgFiles, InputFiles) {
  args::check_input_file(dir_ / "in.npy", "--input");
  EXPECT_REFUSED(args::check_input_file(dir_ / "pipe.npy", "--probe"),
                 "is a FIFO (named pipe), not a regular file");
  EXPECT_REFUSED(args::check_input_file(dir_ / "keys", "--input"),
                 "is a directory, not a regular file");
  EXPECT_REFUSED(args::check_input_file(dir_ / "none.npy", "--input"), "no such file");
  EXPECT_REFUSED(args::check_input_file("/dev/null", "--input"), "a character device");
  EXPECT_EQ(args::file_kind(dir_ / "pipe.npy"), "a FIFO (named pipe)");
  EXPECT_EQ(args::file_kind(dir_ / "none"), "missing");
}

TEST_F(ArgFiles, Directories) {
  args::check_dir(dir_ / "keys", "--keys", true);
  args::check_dir(dir_ / "new", "store", false);
  EXPECT_REFUSED(args::check_dir(dir_ / "new", "--keys", true), "no such directory");
  EXPECT_REFUSED(args::check_dir(dir_ / "in.npy", "store", false),
                 "is a regular file, not a directory");
  EXPECT_REFUSED(args::check_dir(dir_ / "pipe.npy", "store", false), "is a FIFO");
}

TEST_F(ArgFiles, SameFile) {
  const fs::path model = dir_ / "model.vrm";
  EXPECT_TRUE(args::same_file(model, model));
  EXPECT_TRUE(args::same_file(model, dir_ / "keys" / ".." / "model.vrm"));
  EXPECT_TRUE(args::same_file(dir_ / "keys", dir_ / "keys/"));
  fs::create_symlink(model, dir_ / "link.vrm");
  EXPECT_TRUE(args::same_file(dir_ / "link.vrm", model));
  fs::create_hard_link(model, dir_ / "hard.vrm");
  EXPECT_TRUE(args::same_file(dir_ / "hard.vrm", model));
  // Outputs that do not exist yet: compared by their canonical form.
  EXPECT_TRUE(args::same_file(dir_ / "nope" / ".." / "new.npy", dir_ / "new.npy"));
  EXPECT_FALSE(args::same_file(dir_ / "new.npy", model));
  EXPECT_FALSE(args::same_file(dir_ / "in.npy", model));
  // Relative and absolute spellings of one file.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  EXPECT_TRUE(args::same_file("model.vrm", model));
  EXPECT_TRUE(args::same_file("./x.npy", dir_ / "x.npy"));
  fs::current_path(cwd);
}

TEST_F(ArgFiles, Outputs) {
  const fs::path model = dir_ / "model.vrm", in = dir_ / "in.npy";
  args::check_output_file("--out", dir_ / "out.npy", {{"--model", model}, {"--input", in}});
  args::check_output_file("--out", dir_ / "out.npy", {{"--labels", ""}});  // not given: skipped
  EXPECT_EQ(error_of([&] {
              args::check_output_file("--out", model, {{"--model", model}, {"--input", in}});
            }),
            "--out: '" + model.string() + "' is the same file as --model '" + model.string() +
                "': refusing to overwrite an input");
  fs::create_symlink(in, dir_ / "alias.npy");
  EXPECT_REFUSED(args::check_output_file("--out", dir_ / "alias.npy", {{"--input", in}}),
                 "is the same file as --input");
  EXPECT_REFUSED(args::check_output_file("--out", dir_ / "keys", {}), "is a directory");
  EXPECT_REFUSED(args::check_output_file("--json", dir_ / "pipe.npy", {}), "is a FIFO");
  args::check_output_dir("store", dir_ / "store", {{"--keys", dir_ / "keys"}});
  EXPECT_REFUSED(args::check_output_dir("store", dir_ / "keys/", {{"--keys", dir_ / "keys"}}),
                 "is the same directory as --keys");
  EXPECT_REFUSED(args::check_output_dir("store", in, {}), "not a directory");
}

// The validators through CLI11: the message names the option, and counts
// reach the variable as checked (not through strtoull's reading of "-1" or
// "010").
TEST(CliChecks, Validators) {
  auto parse = [](std::vector<std::string> argv_tail, std::size_t& k, double& t, std::string& id) {
    CLI::App app;
    app.add_option("-k,--top", k)->transform(cli::count(1, 100));
    app.add_option("--threshold", t)->check(cli::real(-1, 1));
    app.add_option("--id", id)->check(cli::text_field("id"));
    std::vector<std::string> args{"veil"};
    args.insert(args.end(), argv_tail.begin(), argv_tail.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    app.parse(static_cast<int>(argv.size()), argv.data());
  };
  std::size_t k = 0;
  double t = 0;
  std::string id;
  parse({"-k", "010", "--threshold", "0.5", "--id", "a:1"}, k, t, id);
  EXPECT_EQ(k, 10u);
  EXPECT_EQ(t, 0.5);
  parse({"-k", "1e2"}, k, t, id);
  EXPECT_EQ(k, 100u);
  auto error = [&](std::vector<std::string> tail) {
    try {
      parse(std::move(tail), k, t, id);
    } catch (const CLI::ValidationError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error({"-k", "-1"}), "--top: -1 is negative (expected a whole number from 1 to 100)");
  EXPECT_EQ(error({"-k", "101"}), "--top: 101 is above the limit of 100");
  EXPECT_EQ(error({"--threshold", "nan"}),
            "--threshold: nan is not a finite number (expected a finite number from -1 to 1)");
  EXPECT_NE(error({"--id", "a\x01"}).find("--id: id 'a\\x01': control character U+0001"),
            std::string::npos);
}

}  // namespace
}  // namespace veil::apps
