// Running the `tandem` binary (TANDEM_BINARY) from a test as a user would: the command line
// quoted for the shell, stdout and stderr captured through files in the test's folder.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace tandem::cli_test {

namespace fs = std::filesystem;

struct CmdResult {
  int rc = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string model(const std::string& name) { return std::string(TANDEM_MODELS_DIR) + "/" + name; }

// Runs `[env ENV] tandem <args>` under `timeout_s` seconds (then the rc is 124), capturing the
// exit code, stdout and stderr through stdout.txt / stderr.txt in `dir`.
inline CmdResult run_tandem(const std::vector<std::string>& args, const fs::path& dir, int timeout_s = 60,
                            const std::string& env = "") {
  std::string cmd = "timeout " + std::to_string(timeout_s) + " " + (env.empty() ? "" : "env " + env + " ") +
                    quote(TANDEM_BINARY);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " >" + quote((dir / "stdout.txt").string()) + " 2>" + quote((dir / "stderr.txt").string());
  const int st = std::system(cmd.c_str());
  CmdResult r;
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(dir / "stdout.txt");
  r.err = slurp(dir / "stderr.txt");
  return r;
}

}  // namespace tandem::cli_test
