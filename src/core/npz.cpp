#include "core/npz.h"

#include <zip.h>

#include <filesystem>
#include <memory>
#include <set>
#include <sstream>

#include "core/npy.h"

namespace tandem {
namespace {

struct ZipClose {
  void operator()(zip_t* z) const { zip_discard(z); }  // discard: only an explicit zip_close() writes
};
using ZipPtr = std::unique_ptr<zip_t, ZipClose>;

std::string zip_error_text(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string s = zip_error_strerror(&e);
  zip_error_fini(&e);
  return s;
}

}  // namespace

Status write_npz(const std::string& path, const NamedTensors& arrays) {
  std::set<std::string> names;
  for (const auto& [name, t] : arrays) {
    if (name.empty()) return invalid_argument(path + ": an array has an empty name");
    if (!names.insert(name).second) return invalid_argument(path + ": two arrays are named '" + name + "'");
    if (t.empty()) return invalid_argument(path + ": array '" + name + "' is empty (unallocated)");
  }
  int err = 0;
  ZipPtr z(zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err));
  if (!z) return not_found(path + ": cannot create (" + zip_error_text(err) + ")");
  // Each entry's bytes (header + data) must live until zip_close() writes them.
  std::vector<std::string> entries;
  entries.reserve(arrays.size());
  for (const auto& [name, t] : arrays) {
    entries.push_back(npy_header(t));
    entries.back().append(static_cast<const char*>(t.data()), t.nbytes());
    zip_source_t* src = zip_source_buffer(z.get(), entries.back().data(), entries.back().size(), 0);
    if (!src) return internal_error(path + ": cannot stage array '" + name + "': " + zip_strerror(z.get()));
    const zip_int64_t idx = zip_file_add(z.get(), (name + ".npy").c_str(), src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(src);
      return internal_error(path + ": cannot add '" + name + "': " + zip_strerror(z.get()));
    }
    zip_set_file_compression(z.get(), static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0);
  }
  if (zip_close(z.get()) < 0) return internal_error(path + ": write failed: " + zip_strerror(z.get()));
  z.release();  // closed
  return Status::ok();
}

Result<NamedTensors> read_npz(const std::string& path) {
  int err = 0;
  ZipPtr z(zip_open(path.c_str(), ZIP_RDONLY, &err));
  if (!z) return invalid_argument(path + ": not a readable .npz (zip) file (" + zip_error_text(err) + ")");
  NamedTensors out;
  const zip_int64_t n = zip_get_num_entries(z.get(), 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    if (zip_stat_index(z.get(), static_cast<zip_uint64_t>(i), 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE))
      return invalid_argument(path + ": entry " + std::to_string(i) + " cannot be read");
    std::string entry = st.name ? st.name : "";
    if (entry.size() < 4 || entry.substr(entry.size() - 4) != ".npy")
      return invalid_argument(path + ": entry '" + entry + "' is not a .npy array");
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> f(zip_fopen_index(z.get(), static_cast<zip_uint64_t>(i), 0),
                                                         zip_fclose);
    if (!f) return invalid_argument(path + ": entry '" + entry + "': " + zip_strerror(z.get()));
    std::string bytes(st.size, '\0');
    if (zip_fread(f.get(), bytes.data(), st.size) != static_cast<zip_int64_t>(st.size))
      return invalid_argument(path + ": entry '" + entry + "' is truncated");
    std::istringstream in(std::move(bytes));
    TANDEM_ASSIGN_OR_RETURN(Tensor t, read_npy_stream(in, st.size, path + ":" + entry));
    out.emplace_back(entry.substr(0, entry.size() - 4), std::move(t));
  }
  return out;
}

}  // namespace tandem
