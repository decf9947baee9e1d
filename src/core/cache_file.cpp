#include "core/cache_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tandem {

std::map<std::string, std::string> load_cache_file(const std::string& path) {
  std::map<std::string, std::string> entries;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // a last line without its newline was cut short by a crash
    const size_t tab = line.find('\t');
    if (tab == std::string::npos || tab == 0) continue;
    entries.emplace(line.substr(0, tab), line.substr(tab + 1));
  }
  return entries;
}

bool append_cache_entry(const std::string& path, const std::string& key, const std::string& value) {
  if (key.empty() || key.find_first_of("\t\n\r") != std::string::npos ||
      value.find_first_of("\t\n\r") != std::string::npos)
    return false;
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  // One write of the whole line: appends from several processes do not interleave within it.
  const std::string line = key + "\t" + value + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  return ok;
}

}  // namespace tandem
