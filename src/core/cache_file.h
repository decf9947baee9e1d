// Tandem's cache folder's key/value files (the folder itself is an option: BackendDiagnostics::cache_dir): choices that compile-time timing made (the CUDA
// backend's conv algorithms and plans) kept across processes, as TensorRT keeps a timing cache.
// One line per entry, "key<TAB>value"; entries are only ever appended, so several processes can
// share a file. A missing folder or an unwritable file is not an error: the caller times again.
#pragma once

#include <map>
#include <string>

namespace tandem {

// The entries of `path` (none when it cannot be read). Lines without a tab, and a last line without
// its line break, are skipped; where a key repeats, its first value stands (what the first process
// chose, as in memory).
std::map<std::string, std::string> load_cache_file(const std::string& path);

// Appends one entry to `path`, creating it and its folder as needed; false when it could not be
// written or the key or value holds a tab or a line break.
bool append_cache_entry(const std::string& path, const std::string& key, const std::string& value);

}  // namespace tandem
