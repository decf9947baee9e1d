// The cpu unit on a shared machine (issue 13): `tandem run --units cpu` as a user starts it,
// beside a second Tandem CPU process and beside busy-looping processes, must stay within 1.5x of
// the same situation with passive waiting (OMP_WAIT_POLICY=passive, idle OpenMP threads sleep at
// once), which is the floor a spinning default has to be measured against; the p90 within 2x.
// Before Tandem set its own default (tools/tandem/omp_defaults.cpp), libgomp's long spin failed
// both: beside a second tandem median 2-4x, p90 9-50x; beside the busy loops p90 3x.
//
// Each comparison alternates the two settings over a few rounds in the same run (the machine's
// other load hits both) and compares medians of per-round median latencies. ctest runs these
// tests alone (RUN_SERIAL, tests/cli/serial_tests.cmake), but another job on the machine can
// still come and go: the margins are 1.5x and 2x where the default measures about 1.0-1.2x.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace tandem {
namespace {

namespace fs = std::filesystem;

// Default vs passive waiting: medians within 1.5x; p90s within 2x (a short spin's tail beside
// busy loops varies more, 1.0-1.7x, than its median; the old default's p90 was 9-50x).
constexpr double kMaxMedianRatio = 1.5;
constexpr double kMaxP90Ratio = 2.0;
constexpr int kRounds = 5;
constexpr int kIterations = 15;

enum class Wait { kTandemDefault, kPassive };

struct Latency {
  double median = 0;  // ms
  double p90 = 0;     // ms
};

const char* wait_name(Wait w) { return w == Wait::kPassive ? "OMP_WAIT_POLICY=passive" : "Tandem's default"; }

// The test's environment without the user's OpenMP wait settings, plus OMP_WAIT_POLICY=passive
// for kPassive: kTandemDefault is what a user who sets nothing gets.
std::vector<std::string> child_env(Wait w) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("OMP_WAIT_POLICY=") || entry.starts_with("GOMP_SPINCOUNT=")) continue;
    env.emplace_back(entry);
  }
  if (w == Wait::kPassive) env.emplace_back("OMP_WAIT_POLICY=passive");
  return env;
}

// A child process, killed (SIGKILL) and reaped when this goes out of scope.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&& o) noexcept : pid_(std::exchange(o.pid_, -1)), error_(o.error_) {}
  ~Child() { kill_and_reap(); }

  // Starts `args` with environment `env`, stdout and stderr to /dev/null.
  static Child spawn(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    std::vector<char*> argv, envp;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    Child c;
    c.error_ = posix_spawn(&c.pid_, argv[0], &fa, nullptr, argv.data(), envp.data());
    if (c.error_ != 0) c.pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    return c;
  }

  // A child that spins on core `core` until killed. Pinned, so that every core has one: unpinned,
  // the scheduler's placement of the loops flips runs between two speeds (10 vs 20 ms).
  static Child busy_loop(int core) {
    Child c;
    c.pid_ = fork();
    if (c.pid_ == 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(core, &set);
      sched_setaffinity(0, sizeof(set), &set);
      volatile unsigned long spins = 0;
      while (true) spins = spins + 1;
    }
    return c;
  }

  bool started() const { return pid_ > 0; }
  // Why it did not start.
  std::string error() const { return std::strerror(error_); }

  // Waits up to `limit` for the child to exit; true with its exit status in `rc` if it did.
  bool wait_for(std::chrono::seconds limit, int* rc) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        *rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

 private:
  void kill_and_reap() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  pid_t pid_ = -1;
  int error_ = 0;
};

int core_count() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

class SharedMachineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(TANDEM_BINARY)) << TANDEM_BINARY << " is missing: build the tandem_cli target";
    report_ = fs::temp_directory_path() / ("tandem_shared_machine_" + std::to_string(::getpid()) + ".json");
  }
  void TearDown() override { fs::remove(report_); }

  // Median and p90 batch-1 latency (ms) of `tandem run --units cpu` with wait setting `w`;
  // zeros on failure (with a test failure saying why).
  Latency run_latency_ms(Wait w) {
    fs::remove(report_);
    Child c = Child::spawn({TANDEM_BINARY, "run", "--units", "cpu", "--batch", "1", "--warmup", "3", "--iterations",
                            std::to_string(kIterations), "--report", report_.string(), "-q"},
                           child_env(w));
    int rc = -1;
    if (!c.started()) {
      ADD_FAILURE() << "tandem run (" << wait_name(w) << ") did not start: " << c.error();
      return {};
    }
    if (!c.wait_for(std::chrono::seconds(60), &rc) || rc != 0) {
      ADD_FAILURE() << "tandem run (" << wait_name(w) << ") failed or ran past 60 s, exit " << rc;
      return {};
    }
    std::ifstream f(report_);
    nlohmann::json r = nlohmann::json::parse(f);
    return {r.at("latency_ms_median").get<double>(), r.at("latency_ms_p90").get<double>()};
  }

  // Alternates the two settings over kRounds rounds, `neighbours(w)` started around each
  // measured run, and checks the default's latency against passive waiting's: the median over
  // rounds of each run's median, and of each run's p90 (a spinning team's collapse can come and
  // go within a run: the old default's p90 beside a second tandem was 20-60x, its median 1-3x).
  template <class Neighbours>
  void expect_default_near_passive(const char* situation, Neighbours neighbours) {
    std::vector<Latency> ms[2];
    for (int round = 0; round < kRounds; ++round) {
      for (Wait w : {Wait::kTandemDefault, Wait::kPassive}) {
        std::vector<Child> others = neighbours(w);
        for (const auto& o : others) ASSERT_TRUE(o.started()) << situation << ": a neighbour did not start: " << o.error();
        ms[static_cast<int>(w)].push_back(run_latency_ms(w));
      }
    }
    auto median = [](const std::vector<Latency>& runs, double Latency::*field) {
      std::vector<double> v;
      for (const Latency& l : runs) v.push_back(l.*field);
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    std::string rounds;
    for (int i = 0; i < kRounds; ++i) {
      char buf[96];
      std::snprintf(buf, sizeof buf, " %.1f/%.1f (p90 %.1f/%.1f)", ms[0][i].median, ms[1][i].median, ms[0][i].p90,
                    ms[1][i].p90);
      rounds += buf;
    }
    struct Check {
      double Latency::*field;
      const char* what;
      double max_ratio;
    };
    for (auto [field, what, max_ratio] :
         {Check{&Latency::median, "median", kMaxMedianRatio}, Check{&Latency::p90, "p90", kMaxP90Ratio}}) {
      const double ours = median(ms[0], field), passive = median(ms[1], field);
      std::printf("%s: %s latency %.1f ms with Tandem's default, %.1f ms with passive waiting (%.2fx)\n", situation,
                  what, ours, passive, passive > 0 ? ours / passive : 0.0);
      ASSERT_GT(passive, 0.0);
      EXPECT_LE(ours, max_ratio * passive)
          << situation << ": batch-1 " << what << " latency with Tandem's default wait is " << ours / passive
          << "x that with OMP_WAIT_POLICY=passive (default/passive per round, ms:" << rounds << ")";
    }
    std::printf("%s: default/passive per round, ms:%s\n", situation, rounds.c_str());
  }

  fs::path report_;
};

// Two users of one machine: the neighbour is another `tandem run --units cpu`, with the same
// setting as the measured process (both passive, or both Tandem's default).
TEST_F(SharedMachineTest, CpuLatencyBesideASecondTandemIsNearPassiveWaiting) {
  expect_default_near_passive("beside a second tandem", [](Wait w) {
    std::vector<Child> others;
    others.push_back(Child::spawn(
        {TANDEM_BINARY, "run", "--units", "cpu", "--batch", "1", "--iterations", "1000000", "-q"}, child_env(w)));
    // Let it load and compile, so that the measured runs overlap its runs, not its start.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    return others;
  });
}

// One busy-looping process per core, pinned: everything else on the machine wants every core.
// Here the old default's tail collapses (p90 2.9-3.4x of passive) while its median does not
// (0.8-1.6x); with unpinned loops its median was 50x, but passive waiting itself then flips
// between 10 and 20 ms from run to run, too unsteady to compare.
TEST_F(SharedMachineTest, CpuLatencyBesideBusyLoopsIsNearPassiveWaiting) {
  expect_default_near_passive("beside busy loops", [](Wait) {
    std::vector<Child> others;
    for (int i = 0; i < std::min(core_count(), 16); ++i) others.push_back(Child::busy_loop(i));
    return others;
  });
}

}  // namespace
}  // namespace tandem
