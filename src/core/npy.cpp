#include "core/npy.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>

namespace tandem {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// Header dicts are small; a bigger one means a corrupt length field.
constexpr uint32_t kMaxHeaderLen = 1u << 20;

struct DescrEntry {
  DType dtype;
  const char* descr;  // as numpy writes it on a little-endian machine
};

// One table for both directions.
constexpr DescrEntry kDescrs[] = {
    {DType::kFloat32, "<f4"}, {DType::kFloat16, "<f2"}, {DType::kFloat64, "<f8"},
    {DType::kInt64, "<i8"},   {DType::kInt32, "<i4"},   {DType::kInt8, "|i1"},
    {DType::kUInt8, "|u1"},   {DType::kBool, "|b1"},
};

Status bad(const std::string& path, const std::string& what) {
  return invalid_argument(path + ": " + what);
}

// Maps a descr to a dtype; `why` says what is wrong when there is no match.
std::optional<DType> dtype_from_descr(std::string_view d, std::string* why) {
  if (d.size() >= 1 && d[0] == '>' && !(d.size() == 3 && d[2] == '1')) {
    *why = "big-endian data ('" + std::string(d) + "') is not supported; save it little-endian";
    return std::nullopt;
  }
  if (d.find('O') != std::string_view::npos) {
    *why = "object arrays ('" + std::string(d) + "') are not supported";
    return std::nullopt;
  }
  for (const DescrEntry& e : kDescrs) {
    std::string_view want = e.descr;
    // Byte-sized types carry no byte order: numpy writes '|', accept '<' and '>' too.
    if (d == want || (d.size() == 3 && want[0] == '|' && d.substr(1) == want.substr(1)) ||
        (d.size() == 3 && d[0] == '=' && d.substr(1) == want.substr(1)))
      return e.dtype;
  }
  *why = "dtype '" + std::string(d) +
         "' is not supported (float32, float16, float64, int64, int32, int8, uint8 or bool)";
  return std::nullopt;
}

// Finds `'key':` in the header dict and returns the text after the colon, left-trimmed.
std::optional<std::string_view> value_of(std::string_view header, std::string_view key) {
  for (char q : {'\'', '"'}) {
    std::string k = std::string(1, q) + std::string(key) + std::string(1, q);
    size_t p = header.find(k);
    if (p == std::string_view::npos) continue;
    p = header.find(':', p + k.size());
    if (p == std::string_view::npos) return std::nullopt;
    ++p;
    while (p < header.size() && std::isspace(static_cast<unsigned char>(header[p]))) ++p;
    return header.substr(p);
  }
  return std::nullopt;
}

// The header text for an error message: trailing padding and newline dropped, at most 200 chars.
std::string one_line(std::string_view h) {
  std::string s(h.substr(0, 200));
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

struct Header {
  DType dtype = DType::kFloat32;
  Shape shape;
};

Result<Shape> parse_shape(const std::string& path, std::string_view v) {
  if (v.empty() || v[0] != '(') return bad(path, "header 'shape' is not a tuple");
  size_t close = v.find(')');
  if (close == std::string_view::npos) return bad(path, "header 'shape' is not closed");
  Shape shape;
  std::string_view body = v.substr(1, close - 1);
  size_t i = 0;
  while (i < body.size()) {
    while (i < body.size() && (std::isspace(static_cast<unsigned char>(body[i])) || body[i] == ',')) ++i;
    if (i >= body.size()) break;
    if (!std::isdigit(static_cast<unsigned char>(body[i])))
      return bad(path, "header 'shape' has a non-integer dim: " + one_line(v.substr(0, close + 1)));
    int64_t d = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) {
      if (d > (std::numeric_limits<int64_t>::max() - 9) / 10) return bad(path, "header 'shape' dim overflows");
      d = d * 10 + (body[i++] - '0');
    }
    while (i < body.size() && (body[i] == 'L' || std::isspace(static_cast<unsigned char>(body[i])))) ++i;
    shape.push_back(d);
  }
  return shape;
}

Result<Header> parse_header(const std::string& path, std::string_view h) {
  auto descr = value_of(h, "descr");
  auto fortran = value_of(h, "fortran_order");
  auto shape_text = value_of(h, "shape");
  if (!descr || !fortran || !shape_text)
    return bad(path, "header lacks 'descr', 'fortran_order' or 'shape': " + one_line(h));
  if (descr->empty() || ((*descr)[0] != '\'' && (*descr)[0] != '"'))
    return bad(path, "header 'descr' is not a simple dtype string (structured arrays are not supported)");
  char q = (*descr)[0];
  size_t end = descr->find(q, 1);
  if (end == std::string_view::npos) return bad(path, "header 'descr' is not closed");
  std::string why;
  auto dtype = dtype_from_descr(descr->substr(1, end - 1), &why);
  if (!dtype) return bad(path, why);
  if (fortran->starts_with("True")) return bad(path, "Fortran-order arrays are not supported; save with C order");
  if (!fortran->starts_with("False")) return bad(path, "header 'fortran_order' is neither True nor False");
  Header out;
  out.dtype = *dtype;
  TANDEM_ASSIGN_OR_RETURN(out.shape, parse_shape(path, *shape_text));
  return out;
}

uint32_t read_le(const unsigned char* p, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

const char* npy_descr(DType t) {
  for (const DescrEntry& e : kDescrs)
    if (e.dtype == t) return e.descr;
  return "?";
}

Result<Tensor> read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return not_found(path + ": cannot open (" + std::strerror(errno) + ")");
  f.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(f.tellg());
  f.seekg(0);
  return read_npy_stream(f, file_size, path);
}

Result<Tensor> read_npy_stream(std::istream& f, uint64_t file_size, const std::string& path) {
  unsigned char pre[12] = {};
  f.read(reinterpret_cast<char*>(pre), 8);
  if (f.gcount() < 8 || std::memcmp(pre, kMagic, kMagicLen) != 0)
    return bad(path, "not a NumPy .npy file (bad magic)");
  const int major = pre[6];
  if (major < 1 || major > 3)
    return bad(path, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(pre[7]));
  const int len_bytes = major == 1 ? 2 : 4;
  f.read(reinterpret_cast<char*>(pre + 8), len_bytes);
  if (f.gcount() < len_bytes) return bad(path, "truncated header");
  const uint32_t header_len = read_le(pre + 8, len_bytes);
  const uint64_t data_offset = 8 + len_bytes + static_cast<uint64_t>(header_len);
  if (header_len > kMaxHeaderLen || data_offset > file_size)
    return bad(path, "truncated header (says " + std::to_string(header_len) + " bytes, file has " +
                         std::to_string(file_size) + ")");
  std::string header(header_len, '\0');
  f.read(header.data(), header_len);
  TANDEM_ASSIGN_OR_RETURN(Header h, parse_header(path, header));

  // Check the size before allocating: a corrupt shape must not ask for terabytes.
  const uint64_t avail = file_size - data_offset;
  constexpr uint64_t kTooMany = uint64_t{1} << 62;
  uint64_t need = dtype_size(h.dtype);
  for (int64_t d : h.shape) {
    if (d == 0) {
      need = 0;
      break;
    }
    need = need > kTooMany / static_cast<uint64_t>(d) ? kTooMany : need * static_cast<uint64_t>(d);
  }
  if (need > avail)
    return bad(path, "truncated data: shape " + shape_to_string(h.shape) + " " + dtype_name(h.dtype) +
                         " needs " + (need == kTooMany ? std::string("more than 2^62") : std::to_string(need)) +
                         " bytes, file has " + std::to_string(avail));
  Tensor t(h.shape, h.dtype);
  if (need > 0) f.read(static_cast<char*>(t.data()), static_cast<std::streamsize>(need));
  if (!f) return bad(path, "read failed");
  return t;
}

std::string npy_header(const Tensor& t) {
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) shape += std::to_string(t.shape()[i]) + ", ";
  if (t.shape().size() > 1) shape.resize(shape.size() - 2);
  else if (t.shape().size() == 1) shape.resize(shape.size() - 1);  // "(5,)"
  shape += ")";
  std::string dict = std::string("{'descr': '") + npy_descr(t.dtype()) +
                     "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts at a multiple of 64 bytes; the header ends with '\n'.
  int len_bytes = 2;
  size_t total = kMagicLen + 2 + len_bytes + dict.size() + 1;
  if ((total + 63) / 64 * 64 - (kMagicLen + 2 + len_bytes) > 65535) len_bytes = 4;
  total = kMagicLen + 2 + len_bytes + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  const uint32_t hlen = static_cast<uint32_t>(dict.size());
  std::string out(kMagic, kMagicLen);
  out += static_cast<char>(len_bytes == 2 ? 1 : 2);
  out += '\0';
  for (int i = 0; i < len_bytes; ++i) out += static_cast<char>((hlen >> (8 * i)) & 0xff);
  return out + dict;
}

Status write_npy(const std::string& path, const Tensor& t) {
  if (t.empty()) return invalid_argument(path + ": cannot write an empty (unallocated) tensor");
  const std::string header = npy_header(t);

  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return not_found(path + ": cannot create (" + std::strerror(errno) + ")");
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(static_cast<const char*>(t.data()), static_cast<std::streamsize>(t.nbytes()));
  f.close();
  if (!f) return internal_error(path + ": write failed");
  return Status::ok();
}

}  // namespace tandem
