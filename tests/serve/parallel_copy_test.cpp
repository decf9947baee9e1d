// CopyCrew: every byte of every job copied, whatever the split, over rounds of different sizes.
#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <vector>

#include "serve/parallel_copy.h"

namespace tandem::serve {
namespace {

TEST(CopyCrewTest, EveryByteOfEveryJobWhateverTheSplit) {
  std::mt19937 rng(7);
  for (int helpers : {0, 1, 3}) {
    CopyCrew crew(helpers, 100);
    for (int round = 0; round < 50; ++round) {
      const size_t jobs = 1 + rng() % 9;
      std::vector<std::vector<unsigned char>> src(jobs), dst(jobs);
      std::vector<CopyJob> list;
      for (size_t j = 0; j < jobs; ++j) {
        src[j].resize(rng() % 700);
        for (auto& b : src[j]) b = static_cast<unsigned char>(rng());
        dst[j].assign(src[j].size() + 1, 0xAB);  // one byte past the end must stay untouched
        list.push_back({dst[j].data(), src[j].data(), src[j].size()});
      }
      crew.copy(list);
      for (size_t j = 0; j < jobs; ++j) {
        ASSERT_TRUE(std::equal(src[j].begin(), src[j].end(), dst[j].begin())) << "helpers " << helpers << " job " << j;
        ASSERT_EQ(dst[j].back(), 0xAB);
      }
    }
  }
}

}  // namespace
}  // namespace tandem::serve
