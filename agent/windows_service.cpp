#include "agent/windows_service.h"

#include <windows.h>
#include <shlobj.h>

#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "common/log/log.h"
#include "common/util/time.h"
#include "common/util/utf16.h"

namespace posture::agent::windows {
namespace {

std::string trim(std::string v) {
  v.erase(0, v.find_first_not_of(" \t\r\n"));
  v.erase(v.find_last_not_of(" \t\r\n") + 1);
  return v;
}

// The service's state, shared between the SCM's control handler and its main thread.
struct Service {
  std::function<int(const std::atomic<bool>&)> body;
  std::atomic<bool>* stop = nullptr;
  SERVICE_STATUS_HANDLE handle = nullptr;
  std::mutex mutex;
  SERVICE_STATUS status{};
  int exitCode = 0;

  void report(DWORD state, DWORD win32Exit = NO_ERROR, DWORD specificExit = 0, DWORD waitHint = 0) {
    std::lock_guard lock(mutex);
    status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    status.dwCurrentState = state;
    status.dwControlsAccepted =
        state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    status.dwWin32ExitCode = win32Exit;
    status.dwServiceSpecificExitCode = specificExit;
    status.dwWaitHint = waitHint;
    status.dwCheckPoint = (state == SERVICE_RUNNING || state == SERVICE_STOPPED) ? 0 : status.dwCheckPoint + 1;
    if (handle) ::SetServiceStatus(handle, &status);
  }
};
Service g_service;

DWORD WINAPI controlHandler(DWORD control, DWORD, void*, void*) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
      log::info("service stop requested");
      // The worker gets 20 s to finish (agent.cpp); say so, so the SCM waits.
      g_service.report(SERVICE_STOP_PENDING, NO_ERROR, 0, 30000);
      g_service.stop->store(true);
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

void WINAPI serviceMain(DWORD, LPWSTR*) {
  g_service.handle = ::RegisterServiceCtrlHandlerExW(kServiceName, controlHandler, nullptr);
  if (!g_service.handle) {
    log::error("cannot register the service control handler: Windows error ", ::GetLastError());
    return;
  }
  g_service.report(SERVICE_START_PENDING, NO_ERROR, 0, 10000);
  if (auto why = applyRecoverySettings(); !why.empty()) {
    log::warn("service recovery settings not applied: ", why);
  }
  g_service.report(SERVICE_RUNNING);
  int code = 1;
  try {
    code = g_service.body(*g_service.stop);
  } catch (const std::exception& e) {
    log::error("service failed: ", e.what());
  }
  g_service.exitCode = code;
  log::info("service stopped (exit status ", code, ")");
  if (code == 0) {
    g_service.report(SERVICE_STOPPED);
  } else {
    g_service.report(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, static_cast<DWORD>(code));
  }
}

}  // namespace

std::filesystem::path defaultStateDir() {
  PWSTR programData = nullptr;
  std::filesystem::path base = "C:\\ProgramData";
  if (SUCCEEDED(::SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &programData))) {
    base = programData;
  }
  ::CoTaskMemFree(programData);
  return base / "Posture" / "Agent";
}

std::map<std::string, std::string> readRegistryDeployment() {
  std::map<std::string, std::string> out;
  HKEY key = nullptr;
  if (::RegOpenKeyExW(HKEY_LOCAL_MACHINE, kRegistryKey, 0, KEY_READ | KEY_WOW64_64KEY, &key) != ERROR_SUCCESS) {
    return out;
  }
  for (auto [value, name] : {std::pair{L"Collector", "collector"}, std::pair{L"Token", "token"},
                             std::pair{L"CaFingerprint", "ca_fingerprint"},
                             std::pair{L"TrustOnFirstUse", "trust_on_first_use"},
                             std::pair{L"Interval", "interval"}}) {
    DWORD bytes = 0;
    if (::RegGetValueW(key, nullptr, value, RRF_RT_REG_SZ, nullptr, nullptr, &bytes) != ERROR_SUCCESS ||
        bytes < sizeof(wchar_t)) {
      continue;
    }
    std::wstring text(bytes / sizeof(wchar_t), L'\0');
    if (::RegGetValueW(key, nullptr, value, RRF_RT_REG_SZ, nullptr, text.data(), &bytes) != ERROR_SUCCESS) {
      continue;
    }
    text.resize(bytes / sizeof(wchar_t));
    while (!text.empty() && text.back() == L'\0') text.pop_back();
    if (auto v = trim(util::toUtf8(text)); !v.empty()) out[name] = v;
  }
  ::RegCloseKey(key);
  return out;
}

void forgetRegistryToken() {
  HKEY key = nullptr;
  if (::RegOpenKeyExW(HKEY_LOCAL_MACHINE, kRegistryKey, 0, KEY_SET_VALUE | KEY_WOW64_64KEY, &key) != ERROR_SUCCESS) {
    return;
  }
  LONG rc = ::RegDeleteValueW(key, L"Token");
  ::RegCloseKey(key);
  if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND) {
    log::warn("cannot remove the enrolment token from the registry: Windows error ", rc);
  }
}

std::string applyRecoverySettings() {
  SC_HANDLE scm = ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
  if (!scm) return "OpenSCManager: Windows error " + std::to_string(::GetLastError());
  SC_HANDLE svc = ::OpenServiceW(scm, kServiceName, SERVICE_CHANGE_CONFIG | SERVICE_START);
  if (!svc) {
    DWORD err = ::GetLastError();
    ::CloseServiceHandle(scm);
    return "OpenService: Windows error " + std::to_string(err);
  }
  SC_ACTION actions[3] = {{SC_ACTION_RESTART, 60 * 1000},
                          {SC_ACTION_RESTART, 60 * 1000},
                          {SC_ACTION_RESTART, 5 * 60 * 1000}};
  SERVICE_FAILURE_ACTIONSW failure{};
  failure.dwResetPeriod = static_cast<DWORD>(util::kSecondsPerDay);
  failure.cActions = 3;
  failure.lpsaActions = actions;
  SERVICE_FAILURE_ACTIONS_FLAG flag{};
  flag.fFailureActionsOnNonCrashFailures = TRUE;
  std::string why;
  if (!::ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &failure)) {
    why = "SERVICE_CONFIG_FAILURE_ACTIONS: Windows error " + std::to_string(::GetLastError());
  } else if (!::ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag)) {
    why = "SERVICE_CONFIG_FAILURE_ACTIONS_FLAG: Windows error " + std::to_string(::GetLastError());
  }
  ::CloseServiceHandle(svc);
  ::CloseServiceHandle(scm);
  return why;
}

int runService(const std::function<int(const std::atomic<bool>&)>& body, std::atomic<bool>& stop) {
  g_service.body = body;
  g_service.stop = &stop;
  wchar_t name[64];
  ::lstrcpynW(name, kServiceName, 64);
  SERVICE_TABLE_ENTRYW table[] = {{name, serviceMain}, {nullptr, nullptr}};
  if (!::StartServiceCtrlDispatcherW(table)) {
    DWORD err = ::GetLastError();
    if (err == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
      throw std::runtime_error(
          "`service` is started by the Service Control Manager (service PostureAgent); from a "
          "console use `posture-agent run`");
    }
    throw std::runtime_error("StartServiceCtrlDispatcher: Windows error " + std::to_string(err));
  }
  return g_service.exitCode;
}

namespace {
std::atomic<bool>* g_consoleStop = nullptr;
BOOL WINAPI consoleHandler(DWORD) {
  if (g_consoleStop) g_consoleStop->store(true);
  return TRUE;
}
}  // namespace

void installConsoleStopHandler(std::atomic<bool>& stop) {
  g_consoleStop = &stop;
  ::SetConsoleCtrlHandler(consoleHandler, TRUE);
}

void watchSupervisor(unsigned long supervisorPid, std::uintptr_t stopEvent, std::atomic<bool>& stop) {
  std::vector<HANDLE> handles;
  if (stopEvent) handles.push_back(reinterpret_cast<HANDLE>(stopEvent));
  if (supervisorPid) {
    if (HANDLE p = ::OpenProcess(SYNCHRONIZE, FALSE, supervisorPid)) handles.push_back(p);
  }
  if (handles.empty()) return;
  std::thread([handles, &stop] {
    ::WaitForMultipleObjects(static_cast<DWORD>(handles.size()), handles.data(), FALSE, INFINITE);
    stop.store(true);
  }).detach();
}

}  // namespace posture::agent::windows
