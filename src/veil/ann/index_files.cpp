#include "veil/ann/index_files.h"

#include <sodium.h>

#include <cmath>
#include <cstring>
#include <string>
#include <system_error>

#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/file_io.h"
#include "veil/rlwe/params.h"

namespace veil::ann {

namespace {
constexpr std::uint32_t kVersion = 2;  // 2: refinement vectors
constexpr std::uint64_t kMaxParamsBytes = 1 << 16;
constexpr std::uint64_t kMaxTablesBytes = std::uint64_t{1} << 32;
constexpr std::uint64_t kMaxListsBytes = std::uint64_t{1} << 38;
constexpr std::size_t kMaxLists = std::size_t{1} << 22;

std::uint64_t param_id_of(const search::SearchConfig& c) {
  return rlwe::Parameters::create(c.parameter_literal())->id();
}

void fail(const std::string& what) { throw io::FormatError("ann index: " + what); }

void expect_version(io::ByteReader& r, const char* what) {
  const auto v = r.get_u32("version");
  if (v != kVersion) {
    fail(std::string(what) + " version " + std::to_string(v) + ", expected " +
         std::to_string(kVersion));
  }
}
}  // namespace

void AnnParams::validate() const {
  if (dimension == 0 || dimension > search::kMaxDimension) fail("dimension out of range");
  if (nlist == 0 || nlist > kMaxLists) fail("list count out of range");
  if (m == 0 || dimension % m != 0) fail("m does not divide the dimension");
  if (groups == 0 || (groups & (groups - 1)) != 0) fail("groups is not a power of two");
  for (double b : {query_bound, centroid_bound, codeword_bound}) {
    if (!(b > 0) || !std::isfinite(b)) fail("a norm bound is not positive and finite");
  }
  if (scan.dimension != groups) fail("the scan config's width is not the group count");
  if (key_id.empty()) fail("no key identity");
  if (refine && !(refine_bound > 0 && std::isfinite(refine_bound))) {
    fail("the refinement bound is not positive and finite");
  }
  try {
    (void)layout();
  } catch (const std::exception& e) {
    fail(std::string("layout: ") + e.what());
  }
}

std::vector<std::uint8_t> save_params(const AnnParams& p) {
  p.validate();
  io::ByteWriter w;
  w.put_u32(kVersion);
  for (auto b : p.index_id) w.put_u8(b);
  for (auto b : p.key_id.bytes) w.put_u8(b);
  w.put_u64(p.dimension);
  w.put_u64(p.nlist);
  w.put_u64(p.m);
  w.put_u64(p.groups);
  w.put_u64(p.size);
  w.put_f64(p.query_bound);
  w.put_f64(p.centroid_bound);
  w.put_f64(p.codeword_bound);
  w.put_u8(p.refine ? 1 : 0);
  w.put_f64(p.refine_bound);
  const auto scan = search::save_config(p.scan, param_id_of(p.scan));
  w.put_u64(scan.size());
  w.put_bytes(scan);
  return io::seal_envelope(io::ObjectType::AnnIndex, 0, w.take());
}

AnnParams load_params(std::span<const std::uint8_t> bytes) {
  auto env = io::open_envelope(bytes, io::ObjectType::AnnIndex, 0, kMaxParamsBytes);
  io::ByteReader r(env.payload);
  expect_version(r, "index");
  AnnParams p;
  auto id = r.get_bytes("index id", p.index_id.size());
  std::copy(id.begin(), id.end(), p.index_id.begin());
  auto key = r.get_bytes("key id", p.key_id.bytes.size());
  std::copy(key.begin(), key.end(), p.key_id.bytes.begin());
  p.dimension = r.get_u64("dimension");
  p.nlist = r.get_u64("nlist");
  p.m = r.get_u64("m");
  p.groups = r.get_u64("groups");
  p.size = r.get_u64("size");
  p.query_bound = r.get_f64("query bound");
  p.centroid_bound = r.get_f64("centroid bound");
  p.codeword_bound = r.get_f64("codeword bound");
  const auto refine = r.get_u8("refine");
  if (refine > 1) fail("refine flag " + std::to_string(refine));
  p.refine = refine == 1;
  p.refine_bound = r.get_f64("refine bound");
  const auto n = r.get_count("scan config bytes", 4096 + io::kEnvelopeHeaderSize, 1);
  p.scan = search::load_config(r.get_bytes("scan config", n));
  r.expect_end();
  p.validate();
  return p;
}

std::vector<std::uint8_t> save_tables(const AnnParams& p,
                                      const std::vector<search::Words>& blocks) {
  io::ByteWriter w;
  w.put_u32(kVersion);
  w.put_u64(blocks.size());
  w.put_u64(p.scan.block_words());
  for (const auto& b : blocks) {
    if (b.size() != p.scan.block_words()) throw std::invalid_argument("save_tables: block size");
    w.put_bytes({reinterpret_cast<const std::uint8_t*>(b.data()), b.size() * 4});
  }
  return io::seal_envelope(io::ObjectType::AnnTables, param_id_of(p.scan), w.take());
}

std::vector<search::Words> load_tables(const AnnParams& p, std::span<const std::uint8_t> bytes) {
  auto env =
      io::open_envelope(bytes, io::ObjectType::AnnTables, param_id_of(p.scan), kMaxTablesBytes);
  io::ByteReader r(env.payload);
  expect_version(r, "tables");
  const auto blocks = r.get_u64("blocks");
  const auto words = r.get_u64("block words");
  if (blocks != p.layout().blocks_for(p.table_rows()) || words != p.scan.block_words()) {
    fail("tables: " + std::to_string(blocks) + " blocks of " + std::to_string(words) +
         " words, the index needs " + std::to_string(p.layout().blocks_for(p.table_rows())) +
         " of " + std::to_string(p.scan.block_words()));
  }
  std::vector<search::Words> out(blocks);
  for (auto& b : out) {
    auto raw = r.get_bytes("table block", words * 4);
    b.resize(words);
    std::memcpy(b.data(), raw.data(), raw.size());
  }
  r.expect_end();
  return out;
}

std::vector<std::uint8_t> save_lists(const AnnParams& p, const SealedLists& lists) {
  if (lists.count() != p.nlist + 1) throw std::invalid_argument("save_lists: list count");
  io::ByteWriter w;
  w.put_u32(kVersion);
  w.put_u64(lists.count());
  for (auto o : lists.offsets) w.put_u64(o);
  w.put_bytes(lists.bytes);
  return io::seal_envelope(io::ObjectType::AnnLists, 0, w.take());
}

SealedLists load_lists(const AnnParams& p, std::span<const std::uint8_t> bytes) {
  auto env = io::open_envelope(bytes, io::ObjectType::AnnLists, 0, kMaxListsBytes);
  io::ByteReader r(env.payload);
  expect_version(r, "lists");
  const auto count = r.get_count("lists", kMaxLists + 1, 8);
  if (count != p.nlist + 1) {
    fail("lists: " + std::to_string(count) + " sealed lists, the index has " +
         std::to_string(p.nlist) + " (+1 for the centroid norms)");
  }
  SealedLists out;
  out.offsets = r.get_u64_vector("offsets", count + 1);
  const auto rest = r.remaining();
  if (out.offsets.front() != 0 || out.offsets.back() != rest)
    fail("lists: offsets do not cover the data");
  for (std::size_t i = 0; i < count; ++i) {
    if (out.offsets[i + 1] < out.offsets[i]) fail("lists: offsets decrease");
  }
  auto data = r.get_bytes("sealed lists", rest);
  out.bytes.assign(data.begin(), data.end());
  return out;
}

void write_index(const std::filesystem::path& dir, const IndexFiles& files) {
  namespace fs = std::filesystem;
  if (fs::exists(dir)) {
    throw std::system_error(std::make_error_code(std::errc::file_exists),
                            "ann index: " + dir.string() + " exists (choose a new directory)");
  }
  std::uint8_t tag[8];
  randombytes_buf(tag, sizeof tag);
  std::string suffix;
  for (auto b : tag) suffix += "0123456789abcdef"[b & 15];
  const fs::path tmp = dir.parent_path() / (dir.filename().string() + ".partial-" + suffix);
  fs::create_directories(tmp);
  try {
    io::write_file_atomic(tmp / "ann.index", save_params(files.params));
    io::write_file_atomic(tmp / "ann.tables", save_tables(files.params, files.tables));
    io::write_file_atomic(tmp / "ann.lists", save_lists(files.params, files.lists));
    fs::rename(tmp, dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

IndexFiles read_index(const std::filesystem::path& dir) {
  IndexFiles f;
  f.params =
      load_params(io::read_file(dir / "ann.index", kMaxParamsBytes + io::kEnvelopeHeaderSize));
  f.tables = load_tables(f.params, io::read_file(dir / "ann.tables", kMaxTablesBytes));
  f.lists = load_lists(f.params, io::read_file(dir / "ann.lists", kMaxListsBytes));
  return f;
}

}  // namespace veil::ann
