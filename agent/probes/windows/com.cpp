#include "agent/probes/windows/com.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <mutex>

namespace posture::agent::win {

// ---- Text ----

std::string hex(HRESULT hr) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08lX",
                static_cast<unsigned long>(static_cast<std::uint32_t>(hr)));
  return buf;
}

std::string describe(HRESULT hr) {
  struct Known {
    std::uint32_t code;
    const char* name;
  };
  static constexpr Known kKnown[] = {
      {0x8004100E, "WBEM_E_INVALID_NAMESPACE"},
      {0x80041010, "WBEM_E_INVALID_CLASS"},
      {0x80041002, "WBEM_E_NOT_FOUND"},
      {0x80041003, "WBEM_E_ACCESS_DENIED"},
      {0x80041001, "WBEM_E_FAILED"},
      {0x80041017, "WBEM_E_INVALID_QUERY"},
      {0x80041013, "WBEM_E_PROVIDER_LOAD_FAILURE"},
      {0x80041014, "WBEM_E_INITIALIZATION_FAILURE"},
      {0x8004100C, "WBEM_E_NOT_SUPPORTED"},
      {0x00040004, "WBEM_S_TIMEDOUT"},
      {0x80040154, "REGDB_E_CLASSNOTREG: class not registered"},
      {0x80004001, "E_NOTIMPL: not implemented"},
      {0x80004002, "E_NOINTERFACE"},
      {0x80004005, "E_FAIL"},
      {0x80070005, "E_ACCESSDENIED: access is denied"},
      {0x8007000E, "E_OUTOFMEMORY"},
      {0x80070057, "E_INVALIDARG"},
      {0x800401F0, "CO_E_NOTINITIALIZED"},
      {0x80010106, "RPC_E_CHANGED_MODE"},
      {0x800706BA, "RPC_S_SERVER_UNAVAILABLE: the RPC server is unavailable"},
      {0x80240024, "WU_E_NO_UPDATE: no updates"},
      {0x8024402C, "WU_E_PT_WINHTTP_NAME_NOT_RESOLVED"},
      {0x80240032, "WU_E_INVALID_CRITERIA"},
      {0x8024001E, "WU_E_SERVICE_STOP: the Windows Update service is stopping"},
      {0x80070422, "the service is disabled"},
      {0x8007267C, "DNS_ERROR_NO_DNS_SERVERS: no DNS servers configured"},
      {0x800706D9, "EPT_S_NOT_REGISTERED: the service is not running"},
  };
  auto code = static_cast<std::uint32_t>(hr);
  for (const auto& k : kKnown) {
    if (k.code == code) return hex(hr) + " (" + k.name + ")";
  }
  wchar_t* msg = nullptr;
  DWORD n = ::FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, static_cast<DWORD>(hr), 0, reinterpret_cast<wchar_t*>(&msg), 0, nullptr);
  std::string text;
  if (n > 0 && msg) {
    text = toUtf8(std::wstring_view(msg, n));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                             text.back() == '.')) {
      text.pop_back();
    }
  }
  if (msg) ::LocalFree(msg);
  return text.empty() ? hex(hr) : hex(hr) + " (" + text + ")";
}

std::string wineVersion() {
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  if (!ntdll) return {};
  FARPROC proc = ::GetProcAddress(ntdll, "wine_get_version");
  if (!proc) return {};
  using Fn = const char* (*)();
  auto fn = reinterpret_cast<Fn>(reinterpret_cast<void (*)()>(proc));
  const char* v = fn();
  return std::string("Wine ") + (v ? v : "");
}

std::string underWine() {
  static const std::string wine = wineVersion();
  return wine.empty() ? std::string() : " (running under " + wine + ")";
}

// ---- COM ----

ComApartment::ComApartment() {
  HRESULT hr = ::CoInitializeEx(nullptr, COINIT_MULTITHREADED);
  if (hr == S_OK || hr == S_FALSE) {
    ok_ = true;
    uninitialize_ = true;
  } else if (hr == RPC_E_CHANGED_MODE) {
    ok_ = true;  // the thread is in a single-threaded apartment already: usable
  } else {
    error_ = "CoInitializeEx failed: " + describe(hr);
    return;
  }
  static std::once_flag once;
  std::call_once(once, [] {
    // RPC_E_TOO_LATE: the host process set security already; its choice stands.
    (void)::CoInitializeSecurity(nullptr, -1, nullptr, nullptr, RPC_C_AUTHN_LEVEL_DEFAULT,
                                 RPC_C_IMP_LEVEL_IMPERSONATE, nullptr, EOAC_NONE, nullptr);
  });
}

ComApartment::~ComApartment() {
  if (uninitialize_) ::CoUninitialize();
}

std::optional<std::string> variantString(const VARIANT& v) {
  if (v.vt == VT_BSTR)
    return v.bstrVal ? toUtf8(std::wstring_view(v.bstrVal, ::SysStringLen(v.bstrVal)))
                     : std::string();
  return std::nullopt;
}

std::optional<bool> variantBool(const VARIANT& v) {
  if (v.vt == VT_BOOL) return v.boolVal != VARIANT_FALSE;
  if (auto i = variantInt(v)) return *i != 0;
  return std::nullopt;
}

std::optional<std::int64_t> variantInt(const VARIANT& v) {
  switch (v.vt) {
    case VT_I1:
      return v.cVal;
    case VT_UI1:
      return v.bVal;
    case VT_I2:
      return v.iVal;
    case VT_UI2:
      return v.uiVal;
    case VT_I4:
      return v.lVal;
    case VT_UI4:
      return v.ulVal;
    case VT_INT:
      return v.intVal;
    case VT_UINT:
      return v.uintVal;
    case VT_I8:
      return v.llVal;
    case VT_UI8:
      return static_cast<std::int64_t>(v.ullVal);
    case VT_BSTR: {
      auto s = variantString(v);
      if (!s || s->empty()) return std::nullopt;
      std::int64_t out = 0;
      auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
      if (ec != std::errc() || p != s->data() + s->size()) return std::nullopt;
      return out;
    }
    default:
      return std::nullopt;
  }
}

std::optional<double> variantDate(const VARIANT& v) {
  if (v.vt == VT_DATE) return v.date;
  if (v.vt == VT_R8) return v.dblVal;
  return std::nullopt;
}

// ---- WMI ----

WmiConnection connectWmi(const wchar_t* wmiNamespace) {
  WmiConnection c;
  const std::string ns = toUtf8(wmiNamespace);
  ComPtr<IWbemLocator> locator;
  c.hr = ::CoCreateInstance(CLSID_WbemLocator, nullptr, CLSCTX_INPROC_SERVER, IID_IWbemLocator,
                            locator.putVoid());
  if (FAILED(c.hr)) {
    c.error = "cannot create the WMI locator: " + describe(c.hr);
    return c;
  }
  Bstr path(wmiNamespace);
  c.hr = locator->ConnectServer(path.get(), nullptr, nullptr, nullptr,
                                WBEM_FLAG_CONNECT_USE_MAX_WAIT, nullptr, nullptr, c.services.put());
  if (FAILED(c.hr)) {
    c.services.reset();
    c.error = "cannot connect to WMI namespace " + ns + ": " + describe(c.hr);
    return c;
  }
  HRESULT hr =
      ::CoSetProxyBlanket(c.services.get(), RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, nullptr,
                          RPC_C_AUTHN_LEVEL_CALL, RPC_C_IMP_LEVEL_IMPERSONATE, nullptr, EOAC_NONE);
  (void)hr;  // in-process providers work without it; a failure shows up in the query
  return c;
}

bool WmiRow::get(const wchar_t* name, Variant& v) const {
  if (!obj_) return false;
  HRESULT hr = obj_->Get(name, 0, v.put(), nullptr, nullptr);
  if (FAILED(hr)) return false;
  return v.get().vt != VT_NULL && v.get().vt != VT_EMPTY;
}

std::optional<std::string> WmiRow::string(const wchar_t* name) const {
  Variant v;
  if (!get(name, v)) return std::nullopt;
  return variantString(v.get());
}

std::optional<bool> WmiRow::boolean(const wchar_t* name) const {
  Variant v;
  if (!get(name, v)) return std::nullopt;
  return variantBool(v.get());
}

std::optional<std::int64_t> WmiRow::integer(const wchar_t* name) const {
  Variant v;
  if (!get(name, v)) return std::nullopt;
  return variantInt(v.get());
}

WmiResult wmiQuery(IWbemServices* services, const wchar_t* wql, Clock::time_point deadline) {
  WmiResult r;
  ComPtr<IEnumWbemClassObject> rows;
  Bstr language(L"WQL");
  Bstr query(wql);
  r.hr = services->ExecQuery(language.get(), query.get(),
                             WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY, nullptr,
                             rows.put());
  if (FAILED(r.hr)) {
    r.error = "WMI query '" + toUtf8(wql) + "' failed: " + describe(r.hr);
    return r;
  }
  while (true) {
    auto left = std::max(remaining(deadline), std::chrono::milliseconds(50));
    ComPtr<IWbemClassObject> obj;
    ULONG returned = 0;
    HRESULT hr = rows->Next(static_cast<long>(left.count()), 1, obj.put(), &returned);
    if (hr == WBEM_S_TIMEDOUT) {
      r.timedOut = true;
      r.hr = hr;
      r.error = "WMI query '" + toUtf8(wql) + "' did not finish within the time budget";
      break;
    }
    if (FAILED(hr)) {
      r.hr = hr;
      r.error = "WMI query '" + toUtf8(wql) + "' failed: " + describe(hr);
      break;
    }
    if (returned == 0) break;  // WBEM_S_FALSE: no more rows
    r.rows.emplace_back(std::move(obj));
  }
  return r;
}

// ---- Registry ----
namespace {

class RegKey {
 public:
  RegKey(HKEY root, const wchar_t* subkey) {
    status_ = ::RegOpenKeyExW(root, subkey, 0, KEY_READ | KEY_WOW64_64KEY, &h_);
    if (status_ != ERROR_SUCCESS) h_ = nullptr;
  }
  ~RegKey() {
    if (h_) ::RegCloseKey(h_);
  }
  RegKey(const RegKey&) = delete;
  RegKey& operator=(const RegKey&) = delete;
  HKEY get() const { return h_; }
  LSTATUS status() const { return status_; }

 private:
  HKEY h_ = nullptr;
  LSTATUS status_ = ERROR_SUCCESS;
};

std::optional<std::vector<wchar_t>> regRaw(HKEY root, const wchar_t* subkey, const wchar_t* value,
                                           DWORD flags) {
  RegKey key(root, subkey);
  if (!key.get()) return std::nullopt;
  DWORD size = 0;
  if (::RegGetValueW(key.get(), nullptr, value, flags, nullptr, nullptr, &size) != ERROR_SUCCESS)
    return std::nullopt;
  std::vector<wchar_t> buf(size / sizeof(wchar_t) + 2, L'\0');
  size = static_cast<DWORD>(buf.size() * sizeof(wchar_t));
  if (::RegGetValueW(key.get(), nullptr, value, flags, nullptr, buf.data(), &size) != ERROR_SUCCESS)
    return std::nullopt;
  buf.resize(size / sizeof(wchar_t));
  return buf;
}

}  // namespace

std::optional<std::wstring> regString(HKEY root, const wchar_t* subkey, const wchar_t* value) {
  // RRF_RT_REG_EXPAND_SZ is accepted only with RRF_NOEXPAND: values come unexpanded.
  auto raw = regRaw(root, subkey, value, RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND);
  if (!raw) return std::nullopt;
  std::wstring s(raw->data(), raw->size());
  while (!s.empty() && s.back() == L'\0') s.pop_back();
  return s;
}

std::optional<std::vector<std::wstring>> regMultiString(HKEY root, const wchar_t* subkey,
                                                        const wchar_t* value) {
  auto raw = regRaw(root, subkey, value, RRF_RT_REG_MULTI_SZ);
  if (!raw) return std::nullopt;
  std::vector<std::wstring> out;
  std::wstring cur;
  for (wchar_t c : *raw) {
    if (c == L'\0') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::optional<std::uint32_t> regDword(HKEY root, const wchar_t* subkey, const wchar_t* value) {
  RegKey key(root, subkey);
  if (!key.get()) return std::nullopt;
  DWORD v = 0;
  DWORD size = sizeof v;
  if (::RegGetValueW(key.get(), nullptr, value, RRF_RT_REG_DWORD, nullptr, &v, &size) !=
      ERROR_SUCCESS) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

std::optional<bool> regKeyExists(HKEY root, const wchar_t* subkey) {
  RegKey key(root, subkey);
  if (key.get()) return true;
  if (key.status() == ERROR_FILE_NOT_FOUND || key.status() == ERROR_PATH_NOT_FOUND) return false;
  return std::nullopt;
}

std::vector<std::wstring> regSubkeys(HKEY root, const wchar_t* subkey) {
  std::vector<std::wstring> out;
  RegKey key(root, subkey);
  if (!key.get()) return out;
  for (DWORD i = 0;; ++i) {
    wchar_t name[256];
    DWORD len = 256;
    LSTATUS s = ::RegEnumKeyExW(key.get(), i, name, &len, nullptr, nullptr, nullptr, nullptr);
    if (s == ERROR_NO_MORE_ITEMS) break;
    if (s != ERROR_SUCCESS) continue;
    out.emplace_back(name, len);
  }
  return out;
}

// ---- Services ----

std::optional<ServiceState> serviceState(const wchar_t* name) {
  SC_HANDLE scm = ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
  if (!scm) return std::nullopt;
  std::optional<ServiceState> out;
  SC_HANDLE svc = ::OpenServiceW(scm, name, SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG);
  if (svc) {
    ServiceState st;
    SERVICE_STATUS_PROCESS status{};
    DWORD needed = 0;
    if (::QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, reinterpret_cast<LPBYTE>(&status),
                               sizeof status, &needed)) {
      st.running = status.dwCurrentState == SERVICE_RUNNING;
    }
    needed = 0;
    ::QueryServiceConfigW(svc, nullptr, 0, &needed);
    if (needed > 0) {
      std::vector<BYTE> buf(needed);
      auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buf.data());
      if (::QueryServiceConfigW(svc, config, needed, &needed)) st.startType = config->dwStartType;
    }
    out = st;
    ::CloseServiceHandle(svc);
  }
  ::CloseServiceHandle(scm);
  return out;
}

}  // namespace posture::agent::win
