// Encrypted lookup tables: the inner products of one probe q with many short
// rows x_k (IVF centroids, PQ codewords), computed with the HERS machinery of
// search/ and a *grouped* probe (docs/ann.md, "Tables").
//
// HERS expands a probe into d constant ciphertexts (d - 1 key switches on the
// server and again at the key holder) so that a block holds n = 4096
// templates. Tables are small (thousands of rows), so Veil stops the
// expansion after log2(G) levels: ciphertext r then holds the s = d / G
// values q_{r + G t} at coefficients G t (t < s), not a constant. A block is
// an ordinary HERS block of "dimension" G whose ciphertext r encrypts the
// polynomial V_r below; the scan's sum over r of V_r * D_r puts <q, x_k> in
// coefficient position(k):
//
//   position(k) = (k / G) s G + (s - 1) G + k % G
//   V_r[position(k) - G t] = x_k[r + G t]   (never wraps: position(k) >= G t)
//
// Every coefficient of a block belongs to exactly one (slot, t) pair, so a
// block holds G floor(n / d) rows (n / s when d divides n). Cost per probe: G - 1 key switches on
// each side instead of d - 1, and n / s rows per block instead of n. The other coefficients of a
// block's product are partial sums of other pairings; the server masks them (tables.h) so the key
// holder learns only the tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "veil/search/quantize.h"

namespace veil::ann {

struct TableLayout {
  std::size_t n = 0;          // ring degree
  std::size_t dimension = 0;  // vector dimension, padded with zeros to a multiple of groups
  std::size_t groups = 0;     // G: ciphertexts of the expanded probe, a power of two

  std::size_t per_group() const { return dimension / groups; }  // s
  // Rows per block: whole stripes of s G coefficients, G rows each.
  std::size_t slots() const { return n / dimension * groups; }
  std::size_t position(std::size_t slot) const {
    const std::size_t s = per_group();
    return (slot / groups) * s * groups + (s - 1) * groups + slot % groups;
  }
  std::size_t blocks_for(std::size_t rows) const { return (rows + slots() - 1) / slots(); }
};

// `vector_dimension` rounded up to a multiple of `groups`. Throws
// search::InputError unless groups is a power of two, 1 <= groups <= the
// padded dimension and the padded dimension is at most n.
TableLayout make_table_layout(std::size_t n, std::size_t vector_dimension, std::size_t groups);

// Rows [first, first + count) of `rows` (dimension <= layout.dimension; the
// rest is zero padding) as the virtual n x G rows of one block: encrypting
// them with search::GalleryEncryptor under a config of dimension G gives the
// block of the header. Throws search::InputError when count > slots().
search::QuantizedRows pack_table_block(const TableLayout& layout, const search::QuantizedRows& rows,
                                       std::size_t first, std::size_t count);

// A probe padded with zeros to layout.dimension (what encrypt_grouped takes).
std::vector<std::int16_t> pad_probe(const TableLayout& layout, std::span<const std::int16_t> q);

}  // namespace veil::ann
