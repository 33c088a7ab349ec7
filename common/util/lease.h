#pragma once
// A held place in some bounded resource (a budget, a gate): released exactly once, when the
// Lease is destroyed. Move-only; a moved-from Lease releases nothing. Header-only.
#include <functional>
#include <utility>

namespace posture::util {

class Lease {
 public:
  explicit Lease(std::function<void()> release) : release_(std::move(release)) {}
  Lease(Lease&& other) noexcept : release_(std::exchange(other.release_, nullptr)) {}
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() {
    if (release_) release_();
  }

 private:
  std::function<void()> release_;
};

}  // namespace posture::util
