// Whole-file reads and writes for the project's own files (plans, profiles, model bytes):
// errors as values naming the file and what it is.
#pragma once

#include <string>

#include "tandem/status.h"

namespace tandem {

// The bytes of `path`; not_found "cannot read <what> '<path>'" when it cannot be opened.
Result<std::string> read_file(const std::string& path, const std::string& what);
// Writes `text` to `path` (replacing it); an error naming <what> when it cannot.
Status write_file(const std::string& path, const std::string& text, const std::string& what);

}  // namespace tandem
