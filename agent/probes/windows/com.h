#pragma once
// Helpers shared by the Windows probes: COM apartments, WMI queries with a deadline,
// BSTR/VARIANT reading, UTF-16/UTF-8, registry and service reading, HRESULT text and
// Wine detection. Windows build only. Nothing here throws for a Windows failure: calls
// return what they read and an English reason when they could not.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
// clang-format off: winsock2.h must come before windows.h
#include <objbase.h>
#include <oleauto.h>
#include <wbemidl.h>
#include <windows.h>
#include <winsock2.h>
// clang-format on

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/deadline.h"
#include "common/util/utf16.h"

namespace posture::agent::win {

using Clock = std::chrono::steady_clock;

// ---- Text ----
// UTF-8 <-> UTF-16 (common/util/utf16.h).
using util::toUtf8;
using util::toWide;
// "0x8004100E"
std::string hex(HRESULT hr);
// "0x8004100E (WBEM_E_INVALID_NAMESPACE)" for the codes the probes meet, else the system
// message when there is one ("0x80070005 (Access is denied.)"), else the bare number.
std::string describe(HRESULT hr);
// "Wine 9.0" when the process runs under Wine (ntdll exports wine_get_version), else "".
std::string wineVersion();
// " (running under Wine 9.0)" or "".
std::string underWine();

// ---- COM ----

// A COM reference that releases itself.
template <class T>
class ComPtr {
 public:
  ComPtr() = default;
  ~ComPtr() { reset(); }
  ComPtr(const ComPtr& o) : p_(o.p_) {
    if (p_) p_->AddRef();
  }
  ComPtr& operator=(const ComPtr& o) {
    if (this != &o) {
      reset();
      p_ = o.p_;
      if (p_) p_->AddRef();
    }
    return *this;
  }
  ComPtr(ComPtr&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  ComPtr& operator=(ComPtr&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = o.p_;
      o.p_ = nullptr;
    }
    return *this;
  }
  void reset() {
    if (p_) p_->Release();
    p_ = nullptr;
  }
  T* get() const { return p_; }
  T* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }
  // For out-parameters: releases what is held first.
  T** put() {
    reset();
    return &p_;
  }
  void** putVoid() { return reinterpret_cast<void**>(put()); }

 private:
  T* p_ = nullptr;
};

// CoInitializeEx(COINIT_MULTITHREADED) for the current thread, undone on destruction when
// it was this object that initialised. A thread already in a single-threaded apartment
// (RPC_E_CHANGED_MODE) is usable as it is. Also calls CoInitializeSecurity once per
// process (default authentication, impersonate; RPC_E_TOO_LATE when the host did it
// already is fine).
class ComApartment {
 public:
  ComApartment();
  ~ComApartment();
  ComApartment(const ComApartment&) = delete;
  ComApartment& operator=(const ComApartment&) = delete;
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  bool ok_ = false;
  bool uninitialize_ = false;
  std::string error_;
};

class Bstr {
 public:
  Bstr() = default;
  explicit Bstr(const wchar_t* s) : b_(::SysAllocString(s)) {}
  ~Bstr() { ::SysFreeString(b_); }
  Bstr(const Bstr&) = delete;
  Bstr& operator=(const Bstr&) = delete;
  BSTR get() const { return b_; }
  BSTR* put() {
    ::SysFreeString(b_);
    b_ = nullptr;
    return &b_;
  }
  std::string utf8() const {
    return b_ ? toUtf8(std::wstring_view(b_, ::SysStringLen(b_))) : std::string();
  }

 private:
  BSTR b_ = nullptr;
};

class Variant {
 public:
  Variant() { ::VariantInit(&v_); }
  ~Variant() { ::VariantClear(&v_); }
  Variant(const Variant&) = delete;
  Variant& operator=(const Variant&) = delete;
  VARIANT* put() {
    ::VariantClear(&v_);
    return &v_;
  }
  const VARIANT& get() const { return v_; }

 private:
  VARIANT v_;
};

// VARIANT readers: nullopt for VT_EMPTY/VT_NULL and for types that do not convert.
// WMI sends uint64/sint64 and datetime as VT_BSTR, uint32 as VT_I4, uint8 as VT_UI1.
std::optional<std::string> variantString(const VARIANT& v);
std::optional<bool> variantBool(const VARIANT& v);
std::optional<std::int64_t> variantInt(const VARIANT& v);
std::optional<double> variantDate(const VARIANT& v);

// ---- WMI ----

constexpr HRESULT kWbemInvalidNamespace = static_cast<HRESULT>(0x8004100E);
constexpr HRESULT kWbemInvalidClass = static_cast<HRESULT>(0x80041010);
constexpr HRESULT kWbemNotFound = static_cast<HRESULT>(0x80041002);

struct WmiConnection {
  ComPtr<IWbemServices> services;
  HRESULT hr = S_OK;
  std::string error;  // "cannot connect to WMI namespace root\X: 0x... (...)"
};
// IWbemLocator::ConnectServer (WBEM_FLAG_CONNECT_USE_MAX_WAIT: at most two minutes, the
// only bound the API offers) and CoSetProxyBlanket for impersonation.
WmiConnection connectWmi(const wchar_t* wmiNamespace);

// One row of a query result; property values are read by name.
class WmiRow {
 public:
  explicit WmiRow(ComPtr<IWbemClassObject> o) : obj_(std::move(o)) {}
  // Fills v; false when the property does not exist (older versions) or is null.
  bool get(const wchar_t* name, Variant& v) const;
  std::optional<std::string> string(const wchar_t* name) const;
  std::optional<bool> boolean(const wchar_t* name) const;
  std::optional<std::int64_t> integer(const wchar_t* name) const;

 private:
  ComPtr<IWbemClassObject> obj_;
};

struct WmiResult {
  std::vector<WmiRow> rows;
  HRESULT hr = S_OK;
  bool timedOut = false;
  std::string error;  // set when the query failed or ran out of time (rows may be partial)
};
// ExecQuery (WQL) with WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY, reading
// rows with IEnumWbemClassObject::Next bounded by the deadline.
WmiResult wmiQuery(IWbemServices* services, const wchar_t* wql, Clock::time_point deadline);

// ---- Registry (HKLM, 64-bit view) ----
std::optional<std::wstring> regString(HKEY root, const wchar_t* subkey, const wchar_t* value);
std::optional<std::uint32_t> regDword(HKEY root, const wchar_t* subkey, const wchar_t* value);
std::optional<std::vector<std::wstring>> regMultiString(HKEY root, const wchar_t* subkey,
                                                        const wchar_t* value);
// true when the key exists; nullopt when it could not be opened for another reason than
// "not found" (access denied, ...).
std::optional<bool> regKeyExists(HKEY root, const wchar_t* subkey);
std::vector<std::wstring> regSubkeys(HKEY root, const wchar_t* subkey);

// ---- Services ----
struct ServiceState {
  bool running = false;
  DWORD startType = 0;  // SERVICE_AUTO_START, SERVICE_DISABLED, ...
};
// nullopt when the service does not exist or the service manager cannot be read.
std::optional<ServiceState> serviceState(const wchar_t* name);

// ---- Time ----
// What is left of a deadline (common/util/deadline.h).
using util::remaining;

}  // namespace posture::agent::win
