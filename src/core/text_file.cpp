#include "core/text_file.h"

#include <fstream>
#include <sstream>

namespace tandem {

Result<std::string> read_file(const std::string& path, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return not_found("cannot read " + what + " '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Status write_file(const std::string& path, const std::string& text, const std::string& what) {
  std::ofstream f(path, std::ios::binary);
  if (!f) return not_found("cannot write " + what + " '" + path + "'");
  f << text;
  return f ? Status::ok() : internal_error("writing " + what + " '" + path + "' failed");
}

}  // namespace tandem
