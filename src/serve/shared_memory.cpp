#include "serve/shared_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem::serve {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

// Closes a descriptor when it goes out of scope (the mapping outlives it).
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

struct SharedMemoryRegistry::Mapping {
  void* base = nullptr;  // page-aligned, as mmap returned it
  size_t length = 0;
  char* data = nullptr;  // the region's first byte
  ~Mapping() {
    if (base) ::munmap(base, length);
  }
};

Status SharedMemoryRegistry::register_region(const std::string& name, const std::string& key, size_t offset,
                                             size_t byte_size) {
  if (name.empty()) return invalid_argument("a shared memory region needs a name");
  if (byte_size == 0) return invalid_argument("shared memory region '" + name + "': byte_size must be more than 0");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (regions_.count(name))
      return invalid_argument("shared memory region '" + name + "' is registered already (unregister it first)");
    if (regions_.size() >= max_regions_)
      return invalid_argument("shared memory region '" + name + "': " + std::to_string(max_regions_) +
                              " regions are registered already, the most this server takes");
  }
  Fd fd{::shm_open(key.c_str(), O_RDWR, 0)};
  if (fd.fd < 0) {
    const int e = errno;
    return invalid_argument("shared memory region '" + name + "': " +
                            (e == ENOENT ? "no shared memory object has the key '" + key + "'"
                                         : "cannot open the shared memory object '" + key + "': " + errno_text(e)));
  }
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0)
    return invalid_argument("shared memory region '" + name + "': cannot stat '" + key + "': " + errno_text(errno));
  const size_t object_bytes = static_cast<size_t>(st.st_size);
  if (byte_size > object_bytes || offset > object_bytes - byte_size)
    return invalid_argument("shared memory region '" + name + "': offset " + std::to_string(offset) + " + byte_size " +
                            std::to_string(byte_size) + " is past the end of '" + key + "' (" +
                            std::to_string(object_bytes) + " bytes)");
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t start = offset / page * page;
  auto m = std::make_shared<Mapping>();
  m->length = offset - start + byte_size;
  void* p = ::mmap(nullptr, m->length, PROT_READ | PROT_WRITE, MAP_SHARED, fd.fd, static_cast<off_t>(start));
  if (p == MAP_FAILED)
    return invalid_argument("shared memory region '" + name + "': cannot map '" + key + "': " + errno_text(errno));
  m->base = p;
  m->data = static_cast<char*>(p) + (offset - start);
  std::lock_guard<std::mutex> lock(mu_);
  // Checked again: another thread may have registered the name while this one mapped.
  if (regions_.count(name))
    return invalid_argument("shared memory region '" + name + "' is registered already (unregister it first)");
  regions_.emplace(name, Region{SharedMemoryRegionInfo{name, key, offset, byte_size}, std::move(m)});
  return Status::ok();
}

void SharedMemoryRegistry::unregister(const std::string& name) {
  std::shared_ptr<Mapping> last;  // unmapped (when no span holds it) after the lock is released
  std::lock_guard<std::mutex> lock(mu_);
  auto it = regions_.find(name);
  if (it == regions_.end()) return;
  last = std::move(it->second.mapping);
  regions_.erase(it);
}

void SharedMemoryRegistry::unregister_all() {
  std::map<std::string, Region> old;
  std::lock_guard<std::mutex> lock(mu_);
  old.swap(regions_);
}

Result<std::vector<SharedMemoryRegionInfo>> SharedMemoryRegistry::status(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SharedMemoryRegionInfo> out;
  if (name.empty()) {
    for (const auto& [n, r] : regions_) out.push_back(r.info);
    return out;
  }
  auto it = regions_.find(name);
  if (it == regions_.end()) return invalid_argument("no shared memory region named '" + name + "' is registered");
  out.push_back(it->second.info);
  return out;
}

Result<SharedMemorySpan> SharedMemoryRegistry::resolve(const std::string& name, size_t offset, size_t byte_size) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = regions_.find(name);
  if (it == regions_.end()) return invalid_argument("no shared memory region named '" + name + "' is registered");
  const size_t size = it->second.info.byte_size;
  if (byte_size > size || offset > size - byte_size)
    return invalid_argument("shared memory region '" + name + "' holds " + std::to_string(size) + " bytes: offset " +
                            std::to_string(offset) + " + byte size " + std::to_string(byte_size) + " is past its end");
  return SharedMemorySpan{it->second.mapping->data + offset, byte_size, it->second.mapping};
}

size_t SharedMemoryRegistry::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return regions_.size();
}

Result<std::unique_ptr<SharedMemoryObject>> SharedMemoryObject::create(const std::string& key, size_t byte_size) {
  if (byte_size == 0) return invalid_argument("shared memory object '" + key + "': size must be more than 0");
  Fd fd{::shm_open(key.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600)};
  if (fd.fd < 0) return invalid_argument("cannot create the shared memory object '" + key + "': " + errno_text(errno));
  // posix_fallocate, not only ftruncate: on a full tmpfs the pages would otherwise be missing, and
  // the first write to them would fault instead of failing here.
  int e = ::ftruncate(fd.fd, static_cast<off_t>(byte_size)) != 0 ? errno : ::posix_fallocate(fd.fd, 0, static_cast<off_t>(byte_size));
  void* p = e == 0 ? ::mmap(nullptr, byte_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.fd, 0) : MAP_FAILED;
  if (e == 0 && p == MAP_FAILED) e = errno;
  if (e != 0) {
    ::shm_unlink(key.c_str());
    return invalid_argument("cannot make the shared memory object '" + key + "' " + std::to_string(byte_size) +
                            " bytes large: " + errno_text(e));
  }
  return std::unique_ptr<SharedMemoryObject>(new SharedMemoryObject(key, static_cast<char*>(p), byte_size));
}

SharedMemoryObject::~SharedMemoryObject() {
  ::munmap(data_, size_);
  unlink();
}

void SharedMemoryObject::unlink() {
  if (linked_) ::shm_unlink(key_.c_str());
  linked_ = false;
}

}  // namespace tandem::serve
