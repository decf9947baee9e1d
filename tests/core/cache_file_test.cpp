#include "core/cache_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace tandem {
namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("tandem_cache_test_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(d);
  return d;
}

TEST(CacheFile, AppendsAndLoadsEntriesFirstValueStands) {
  const auto dir = fresh_dir("append");
  const std::string path = (dir / "sub" / "choices.tsv").string();  // folders are created
  EXPECT_TRUE(load_cache_file(path).empty());
  ASSERT_TRUE(append_cache_entry(path, "conv x[1,3,224,224]", "1 2"));
  ASSERT_TRUE(append_cache_entry(path, "plan a b", "fused"));
  ASSERT_TRUE(append_cache_entry(path, "conv x[1,3,224,224]", "7 0"));  // a later process disagreed
  auto m = load_cache_file(path);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m["conv x[1,3,224,224]"], "1 2");
  EXPECT_EQ(m["plan a b"], "fused");
  std::filesystem::remove_all(dir);
}

TEST(CacheFile, RefusesTabsAndLineBreaksAndSkipsBrokenLines) {
  const auto dir = fresh_dir("broken");
  const std::string path = (dir / "c.tsv").string();
  EXPECT_FALSE(append_cache_entry(path, "a\tb", "v"));
  EXPECT_FALSE(append_cache_entry(path, "a", "v\nw"));
  EXPECT_FALSE(append_cache_entry(path, "", "v"));
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(path, std::ios::app);
    f << "no tab here\n\tno key\nkey\tvalue\ncut\tsho";  // the last line lost its end
  }
  auto m = load_cache_file(path);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m["key"], "value");
  std::filesystem::remove_all(dir);
}

TEST(CacheFile, UnwritablePathIsFalseNotACrash) {
  EXPECT_FALSE(append_cache_entry("/proc/tandem_no_such_dir/x.tsv", "k", "v"));
  EXPECT_TRUE(load_cache_file("/proc/tandem_no_such_dir/x.tsv").empty());
}

}  // namespace
}  // namespace tandem
