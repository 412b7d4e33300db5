#include "veil/ann/sealed_list.h"

#include <sodium.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "veil/io/byte_io.h"
#include "veil/rlwe/secret_digest.h"

namespace veil::ann {

namespace {
constexpr char kListKeyLabel[] = "veil ann list seal key v1";
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kHeader = kNonce + 8;

std::vector<std::uint8_t> associated_data(const IndexId& id, std::size_t list_no, std::size_t m,
                                          std::size_t refine, std::size_t padded) {
  io::ByteWriter w;
  for (auto b : id) w.put_u8(b);
  w.put_u64(list_no);
  w.put_u64(m);
  w.put_u64(refine);
  w.put_u64(padded);
  return w.take();
}
}  // namespace

std::size_t padded_list_size(std::size_t count) {
  double size = 16;
  while (size < static_cast<double>(count)) size *= 1.189207115002721;  // 2^(1/4)
  return (static_cast<std::size_t>(std::ceil(size)) + 15) / 16 * 16;
}

ListSealer::ListSealer(const rlwe::SecretKey& sk, const IndexId& index_id, std::size_t m,
                       std::size_t refine)
    : index_id_(index_id), m_(m), refine_(refine) {
  const ring::Seed seed = rlwe::secret_digest(sk, kListKeyLabel);
  std::copy(seed.begin(), seed.end(), key_.begin());
}

ListSealer::~ListSealer() { sodium_memzero(key_.data(), key_.size()); }

std::vector<std::uint8_t> ListSealer::seal(std::size_t list_no, const IvfPqIndex::List& list,
                                           std::size_t padded) const {
  const std::size_t count = list.ids.size();
  if (list.codes.size() != count * m_ || list.norms.size() != count ||
      list.refine.size() != count * refine_) {
    throw std::invalid_argument("seal: list " + std::to_string(list_no) + " is inconsistent");
  }
  if (padded == 0) padded = padded_list_size(count);
  if (padded < count) {
    throw std::invalid_argument("seal: list " + std::to_string(list_no) + " has " +
                                std::to_string(count) + " entries, more than the padded size " +
                                std::to_string(padded));
  }
  std::vector<std::uint8_t> plain(padded * entry_bytes(), 0);
  for (std::size_t i = 0; i < padded; ++i) {
    std::uint8_t* e = plain.data() + i * entry_bytes();
    const bool real = i < count;
    const std::uint64_t id = real ? list.ids[i] : kDummyId;
    const float norm = real ? list.norms[i] : std::numeric_limits<float>::infinity();
    std::memcpy(e, &id, 8);
    std::memcpy(e + 8, &norm, 4);
    if (real) std::memcpy(e + 12, list.codes.data() + i * m_, m_);
    if (real && refine_) std::memcpy(e + 12 + m_, list.refine.data() + i * refine_, 2 * refine_);
  }
  std::vector<std::uint8_t> out(kHeader + plain.size() + kTag);
  randombytes_buf(out.data(), kNonce);
  const std::uint64_t p64 = padded;
  std::memcpy(out.data() + kNonce, &p64, 8);
  const auto ad = associated_data(index_id_, list_no, m_, refine_, padded);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kHeader, &clen, plain.data(),
                                             plain.size(), ad.data(), ad.size(), nullptr,
                                             out.data(), key_.data());
  sodium_memzero(plain.data(), plain.size());
  return out;
}

IvfPqIndex::List ListSealer::open(std::size_t list_no, std::span<const std::uint8_t> sealed) const {
  if (sealed.size() < kHeader + kTag) {
    throw SealError("sealed list " + std::to_string(list_no) + " is truncated");
  }
  std::uint64_t padded = 0;
  std::memcpy(&padded, sealed.data() + kNonce, 8);
  if (padded > (sealed.size() - kHeader - kTag) / entry_bytes() ||
      sealed.size() != kHeader + padded * entry_bytes() + kTag) {
    throw SealError("sealed list " + std::to_string(list_no) + " has the wrong size");
  }
  std::vector<std::uint8_t> plain(padded * entry_bytes());
  const auto ad = associated_data(index_id_, list_no, m_, refine_, padded);
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &plen, nullptr, sealed.data() + kHeader, sealed.size() - kHeader, ad.data(),
          ad.size(), sealed.data(), key_.data()) != 0) {
    throw SealError("sealed list " + std::to_string(list_no) +
                    " does not open: another key or index, another list, or altered bytes");
  }
  IvfPqIndex::List out;
  out.ids.resize(padded);
  out.norms.resize(padded);
  out.codes.resize(padded * m_);
  out.refine.resize(padded * refine_);
  for (std::size_t i = 0; i < padded; ++i) {
    const std::uint8_t* e = plain.data() + i * entry_bytes();
    std::memcpy(&out.ids[i], e, 8);
    std::memcpy(&out.norms[i], e + 8, 4);
    std::memcpy(out.codes.data() + i * m_, e + 12, m_);
    if (refine_) std::memcpy(out.refine.data() + i * refine_, e + 12 + m_, 2 * refine_);
  }
  sodium_memzero(plain.data(), plain.size());
  return out;
}

}  // namespace veil::ann
