#include <gtest/gtest.h>

#include "veil/reduce/model.h"

namespace veil::reduce {
namespace {

TEST(Model, KindNames) {
  EXPECT_EQ(to_string(ModelKind::kPca), "pca");
  EXPECT_EQ(to_string(ModelKind::kDeepMds), "deepmds");
}

TEST(Model, NormalizeRowsMakesUnitRowsAndKeepsZeroRows) {
  data::Matrix m{2, 2, {3, 4, 0, 0}};
  normalize_rows(m);
  EXPECT_FLOAT_EQ(m.values[0], 0.6f);
  EXPECT_FLOAT_EQ(m.values[1], 0.8f);
  EXPECT_EQ(m.values[2], 0.0f);
  EXPECT_EQ(m.values[3], 0.0f);
}

}  // namespace
}  // namespace veil::reduce
