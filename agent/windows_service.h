#pragma once
// The agent as a Windows service (`posture-agent service`, registered by the MSI in
// installers/windows/): the Service Control Manager starts it, stop requests set the
// same flag SIGTERM sets on Linux, and the deployment settings come from the registry
// (HKLM\SOFTWARE\Posture\Agent) where `msiexec … COLLECTOR=… TOKEN=…` wrote them.
#ifdef _WIN32
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace posture::agent::windows {

inline constexpr wchar_t kServiceName[] = L"PostureAgent";
inline constexpr wchar_t kRegistryKey[] = L"SOFTWARE\\Posture\\Agent";

// %ProgramData%\Posture\Agent: enrolment, spool and log.
std::filesystem::path defaultStateDir();

// Collector, Token, CaFingerprint, TrustOnFirstUse, Interval (REG_SZ) under
// HKLM\SOFTWARE\Posture\Agent, as the keys readDeployment (deployment.h) uses on Linux:
// collector, token, ca_fingerprint, trust_on_first_use, interval.
std::map<std::string, std::string> readRegistryDeployment();
// Removes the Token value once enrolled: HKLM\SOFTWARE is readable by every user.
void forgetRegistryToken();

// Restart after 1 min, 1 min, then 5 min; the count resets after a day; a stop with a
// non-zero exit code counts as a failure too. wixl cannot write these, so the service
// applies them itself on every start. Returns a reason when it could not.
std::string applyRecoverySettings();

// Runs body on the service's thread under the SCM dispatcher; `stop` becomes true on
// SERVICE_CONTROL_STOP or SHUTDOWN. Returns when the service has stopped, with body's
// exit status, or an error when the process was not started by the SCM.
int runService(const std::function<int(const std::atomic<bool>& stop)>& body, std::atomic<bool>& stop);

// Sets `stop` when the console gets Ctrl-C/Ctrl-Break/close (the console `run`).
void installConsoleStopHandler(std::atomic<bool>& stop);

// The worker side of agent.cpp's runWorker: sets `stop` when the supervisor signals the
// inherited event or exits.
void watchSupervisor(unsigned long supervisorPid, std::uintptr_t stopEvent, std::atomic<bool>& stop);

}  // namespace posture::agent::windows
#endif
