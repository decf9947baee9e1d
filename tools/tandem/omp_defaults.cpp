// How the cpu unit's OpenMP threads wait, by default: a short spin, then sleep.
//
// The oneDNN that the cpu backend uses runs on libgomp, whose idle threads spin before they
// sleep: 300k rounds of `pause` by default, 13 ms on the 2-core dev machine (43 ns a round),
// longer than a whole MobileNetV2 run at batch 1 (5-8 ms). That is fastest on idle cores and
// ruinous on a shared machine: beside a second `tandem run` on 2 cores a run took 40-500 ms,
// each process's spinning threads holding the cores that the other's threads needed; beside two
// busy loops 500 ms; Tandem's own threads (GPU workers, the runtime) are starved the same way.
// A short spin matches passive waiting beside other processes (bench/bench_cpu_shared.py,
// bench/results/cpu_shared_*.md; tests/cli/shared_machine_test.cpp). How short: 200 rounds kept
// the alone speed on the first dev machine, but on the next one (a VM whose futex wake-ups are
// slow) 200 rounds slept between oneDNN primitives: MobileNetV2 at batch 1 took 10.3 ms alone
// (as passive waiting, 10.9) and MnasNet at 96 px 6.9 ms against 1.5 ms spinning. 1000 rounds
// keep the alone speed there (4.7 ms; MnasNet 1.5 ms) and stay near passive waiting beside a
// second Tandem (12.2 vs 10.8 ms) and busy loops (12.3 vs 9.6 ms)
// (bench/results/cpu_shared_intel-xeon-2t_spin1000.md).
//
// libgomp reads OMP_WAIT_POLICY and GOMP_SPINCOUNT once, in its constructor, and has no API to
// change them later. Nothing set from main() or from a constructor of ours is seen: libgomp's
// runs first, and the C library's own constructor resets the environment to the one the
// process was started with. So when the user has set neither variable, the process starts
// itself again with GOMP_SPINCOUNT added, from the executable's .preinit_array: that runs after
// the dynamic loader and before any shared library's constructor, so the second start costs
// only the exec and the loading (`tandem --version`: 82 ms instead of 72, best of 20; a run's
// compile alone is 300 ms+); the process id, arguments and open files stay. A user who sets either variable (to anything) keeps their
// choice, and so does everything started from Tandem (it inherits the variable). If the restart
// fails (no /proc), Tandem runs on with libgomp's default.
//
// Only the CLI (an executable; shared libraries have no .preinit_array) affects the environment.
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

namespace {

// GOMP_SPINCOUNT: rounds of libgomp's spin loop (one `pause` each) before an idle thread sleeps.
// libgomp itself uses 100 when a process has more OpenMP threads than cores.
// 1000, not 200: see the header comment (a machine with slow wake-ups).
constexpr char kSpinCountEntry[] = "GOMP_SPINCOUNT=1000";

// Only on machines with this many cores at most. On the GPU machine's 16-core host the short
// spin doubled a lone batch-1 MobileNetV2 (1.7 -> 3.6-4.9 ms) and cost 5-15% at batch 16
// (tools/gpu/cpu_spin.sh, bench/results/cpu_spin_h200-host-16c_2026-12-03.txt): with idle cores
// to spare, libgomp's long spin pays, and there the collapse beside other processes is not
// measured yet (issue 13). On 2 cores the short spin costs nothing alone and removes it.
constexpr int kShortSpinMaxCores = 4;

bool has_name(const char* entry, const char* name) {
  const size_t n = std::strlen(name);
  return std::strncmp(entry, name, n) == 0 && entry[n] == '=';
}

// Runs before the C library is initialised: only the arguments, raw memory and system calls
// (no getenv, which reads a table that is not set up yet; no C++ runtime).
void start_with_omp_wait_default(int, char** argv, char** envp) {
  if (argv == nullptr || envp == nullptr) return;
  cpu_set_t cores;
  if (sched_getaffinity(0, sizeof(cores), &cores) != 0 || CPU_COUNT(&cores) > kShortSpinMaxCores) return;
  size_t n = 0;
  for (; envp[n] != nullptr; ++n)
    if (has_name(envp[n], "OMP_WAIT_POLICY") || has_name(envp[n], "GOMP_SPINCOUNT")) return;
  void* mem = mmap(nullptr, (n + 2) * sizeof(char*), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  char** env = static_cast<char**>(mem);
  std::memcpy(env, envp, n * sizeof(char*));
  env[n] = const_cast<char*>(kSpinCountEntry);
  env[n + 1] = nullptr;
  execve("/proc/self/exe", argv, env);
  munmap(mem, (n + 2) * sizeof(char*));  // the restart failed: run on as we are
}

}  // namespace

// Called by the dynamic loader before any shared library's constructor; only executables have one.
__attribute__((section(".preinit_array"), used)) static void (*const kPreinitOmpWait)(int, char**, char**) =
    start_with_omp_wait_default;
