#include "veil/ann/table_layout.h"

#include <string>

namespace veil::ann {

TableLayout make_table_layout(std::size_t n, std::size_t vector_dimension, std::size_t groups) {
  if (groups == 0 || (groups & (groups - 1)) != 0) {
    throw search::InputError("table groups must be a power of two, got " + std::to_string(groups));
  }
  if (vector_dimension == 0) throw search::InputError("table dimension must be positive");
  TableLayout l;
  l.n = n;
  l.groups = groups;
  l.dimension = (vector_dimension + groups - 1) / groups * groups;
  if (l.dimension > n || groups > l.dimension) {
    throw search::InputError("table dimension " + std::to_string(vector_dimension) + " with " +
                             std::to_string(groups) + " groups does not fit a ring of " +
                             std::to_string(n));
  }
  return l;
}

search::QuantizedRows pack_table_block(const TableLayout& layout, const search::QuantizedRows& rows,
                                       std::size_t first, std::size_t count) {
  if (rows.dimension > layout.dimension) {
    throw search::InputError("table rows have dimension " + std::to_string(rows.dimension) +
                             ", the layout " + std::to_string(layout.dimension));
  }
  if (count > layout.slots() || first > rows.rows || count > rows.rows - first) {
    throw search::InputError("table block of " + std::to_string(count) + " rows from row " +
                             std::to_string(first) + " is out of range (" +
                             std::to_string(rows.rows) + " rows, " +
                             std::to_string(layout.slots()) + " per block)");
  }
  const std::size_t g = layout.groups;
  search::QuantizedRows v;
  v.rows = layout.n;
  v.dimension = g;
  v.values.assign(layout.n * g, 0);
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t p = layout.position(k);
    const auto x = rows.row(first + k);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::size_t r = i % g, t = i / g;
      v.values[(p - g * t) * g + r] = x[i];
    }
  }
  return v;
}

std::vector<std::int16_t> pad_probe(const TableLayout& layout, std::span<const std::int16_t> q) {
  if (q.size() > layout.dimension) {
    throw search::InputError("probe has dimension " + std::to_string(q.size()) + ", the tables " +
                             std::to_string(layout.dimension));
  }
  std::vector<std::int16_t> out(layout.dimension, 0);
  std::copy(q.begin(), q.end(), out.begin());
  return out;
}

}  // namespace veil::ann
