// Patches on Windows, never through PowerShell:
//   - Windows Update Agent (WUA) COM API: IUpdateSearcher::Search("IsInstalled=0 and
//     IsHidden=0") with Online = false, i.e. against the metadata of Windows Update's own
//     last scan (no network traffic, no scan of our own each cycle; lastCheckTime says how
//     old that scan is), each pending update classified by its categories and MSRC
//     severity (parsers::classifyUpdate); the update history for the last successful
//     installation; ISystemInformation::RebootRequired; IAutomaticUpdates2::Results for
//     the last successful search and installation. A search can hang for minutes (a busy
//     or broken service), so it runs on a thread of its own, with its own COM apartment and
//     everything it touches owned through a shared_ptr, and the probe waits for it at most
//     the budget. A search still running from an earlier cycle is waited for, not doubled.
//   - Win32_QuickFixEngineering: the installed KBs and their dates, the more reliable
//     source when the update history was reset.
//   - Registry: the reboot-pending marks (parsers::decodeRebootRequired) and the Windows
//     Update policy (parsers::decodeAutomaticUpdates); the wuauserv start type.
#include "agent/probes/patches.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/probes/parsers/windows_time.h"
#include "agent/probes/parsers/windows_updates.h"
#include "agent/probes/windows/com.h"

#include <wuapi.h>

namespace posture::agent {
namespace {

// IAutomaticUpdates2 and IAutomaticUpdatesResults (wuapi.h of the Windows SDK; absent
// from mingw-w64's): IIDs as published in the SDK headers.
struct IAutomaticUpdatesResultsDecl : public IDispatch {
  virtual HRESULT STDMETHODCALLTYPE get_LastSearchSuccessDate(VARIANT* retval) = 0;
  virtual HRESULT STDMETHODCALLTYPE get_LastInstallationSuccessDate(VARIANT* retval) = 0;
};
struct IAutomaticUpdates2Decl : public IAutomaticUpdates {
  virtual HRESULT STDMETHODCALLTYPE get_Results(IAutomaticUpdatesResultsDecl** retval) = 0;
};
constexpr GUID kIidAutomaticUpdates2 = {
    0x4a2f5c31, 0xcfd9, 0x410e, {0xb7, 0xfb, 0x29, 0xa6, 0x53, 0x97, 0x3a, 0x0f}};

constexpr long kHistoryEntries = 100;

struct WuaOutcome {
  std::optional<parsers::PendingSummary> pending;
  std::string searchError;         // why pending is unset
  bool searchUnavailable = false;  // the API is missing rather than failing
  std::optional<std::int64_t> lastInstall;
  std::optional<std::int64_t> lastSearch;
  std::optional<bool> rebootRequired;
  std::vector<std::string> notes;
};

struct WuaShared {
  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  WuaOutcome outcome;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

std::string bstrOf(HRESULT (STDMETHODCALLTYPE ICategory::*get)(BSTR*), ICategory* c) {
  win::Bstr b;
  if (FAILED((c->*get)(b.put()))) return {};
  return b.utf8();
}

void search(IUpdateSession* session, WuaOutcome& out) {
  win::ComPtr<IUpdateSearcher> searcher;
  HRESULT hr = session->CreateUpdateSearcher(searcher.put());
  if (FAILED(hr)) {
    out.searchError = "IUpdateSession::CreateUpdateSearcher failed: " + win::describe(hr);
    out.searchUnavailable = hr == E_NOTIMPL;
    return;
  }
  (void)searcher->put_Online(VARIANT_FALSE);
  win::ComPtr<ISearchResult> result;
  win::Bstr criteria(L"IsInstalled=0 and IsHidden=0");
  hr = searcher->Search(criteria.get(), result.put());
  if (FAILED(hr) || !result) {
    out.searchError =
        hr == E_NOTIMPL ? "the Windows Update Agent does not implement IUpdateSearcher::Search: " +
                              win::describe(hr)
                        : "Windows Update search failed: " + win::describe(hr);
    out.searchUnavailable = hr == E_NOTIMPL;
  } else {
    OperationResultCode code = orcNotStarted;
    (void)result->get_ResultCode(&code);
    win::ComPtr<IUpdateCollection> updates;
    LONG count = 0;
    if (code != orcSucceeded && code != orcSucceededWithErrors) {
      out.searchError =
          "Windows Update search ended with result code " + std::to_string(static_cast<int>(code));
    } else if (FAILED(hr = result->get_Updates(updates.put())) || !updates ||
               FAILED(hr = updates->get_Count(&count))) {
      out.searchError = "Windows Update search result not read: " + win::describe(hr);
    } else {
      if (code == orcSucceededWithErrors)
        out.notes.push_back("Windows Update search succeeded with errors");
      std::vector<parsers::UpdateClass> classes;
      for (LONG i = 0; i < count; ++i) {
        win::ComPtr<IUpdate> update;
        if (FAILED(updates->get_Item(i, update.put())) || !update) continue;
        std::vector<parsers::WuaCategory> cats;
        win::ComPtr<ICategoryCollection> categories;
        LONG n = 0;
        if (SUCCEEDED(update->get_Categories(categories.put())) && categories &&
            SUCCEEDED(categories->get_Count(&n))) {
          for (LONG j = 0; j < n; ++j) {
            win::ComPtr<ICategory> c;
            if (FAILED(categories->get_Item(j, c.put())) || !c) continue;
            cats.push_back({bstrOf(&ICategory::get_CategoryID, c.get()),
                            bstrOf(&ICategory::get_Name, c.get()),
                            bstrOf(&ICategory::get_Type, c.get())});
          }
        }
        win::Bstr severity;
        (void)update->get_MsrcSeverity(severity.put());  // left empty on failure
        classes.push_back(parsers::classifyUpdate(cats, severity.utf8()));
      }
      out.pending = parsers::summarisePending(classes);
    }
  }

  LONG total = 0;
  hr = searcher->GetTotalHistoryCount(&total);
  if (FAILED(hr)) {
    out.notes.push_back("Windows Update history not read: " + win::describe(hr));
    return;
  }
  if (total <= 0) return;
  win::ComPtr<IUpdateHistoryEntryCollection> history;
  hr = searcher->QueryHistory(0, std::min<LONG>(total, kHistoryEntries), history.put());
  LONG n = 0;
  if (FAILED(hr) || !history || FAILED(hr = history->get_Count(&n))) {
    out.notes.push_back("Windows Update history not read: " + win::describe(hr));
    return;
  }
  std::vector<parsers::HistoryEntry> entries;
  for (LONG i = 0; i < n; ++i) {
    win::ComPtr<IUpdateHistoryEntry> e;
    if (FAILED(history->get_Item(i, e.put())) || !e) continue;
    UpdateOperation op = uoInstallation;
    OperationResultCode rc = orcNotStarted;
    DATE date = 0;
    if (FAILED(e->get_Operation(&op)) || FAILED(e->get_ResultCode(&rc)) ||
        FAILED(e->get_Date(&date)))
      continue;
    entries.push_back({static_cast<int>(op), static_cast<int>(rc), date});
  }
  out.lastInstall = parsers::lastSuccessfulInstall(entries);
}

void automaticUpdatesResults(WuaOutcome& out) {
  win::ComPtr<IAutomaticUpdates2Decl> au;
  HRESULT hr = ::CoCreateInstance(__uuidof(AutomaticUpdates), nullptr, CLSCTX_ALL,
                                  kIidAutomaticUpdates2, au.putVoid());
  if (FAILED(hr) || !au) {
    out.notes.push_back("last Windows Update search time not read: IAutomaticUpdates2: " +
                        win::describe(hr));
    return;
  }
  win::ComPtr<IAutomaticUpdatesResultsDecl> results;
  hr = au->get_Results(results.put());
  if (FAILED(hr) || !results) {
    out.notes.push_back(
        "last Windows Update search time not read: IAutomaticUpdates2::get_Results: " +
        win::describe(hr));
    return;
  }
  win::Variant searched, installed;
  if (SUCCEEDED(results->get_LastSearchSuccessDate(searched.put()))) {
    if (auto d = win::variantDate(searched.get())) out.lastSearch = parsers::oleDateToUnix(*d);
  }
  if (SUCCEEDED(results->get_LastInstallationSuccessDate(installed.put()))) {
    if (auto d = win::variantDate(installed.get())) {
      auto t = parsers::oleDateToUnix(*d);
      if (t && (!out.lastInstall || *t > *out.lastInstall)) out.lastInstall = t;
    }
  }
}

WuaOutcome runWua() {
  WuaOutcome out;
  win::ComApartment com;
  if (!com.ok()) {
    out.searchError = com.error();
    return out;
  }
  win::ComPtr<IUpdateSession> session;
  HRESULT hr = ::CoCreateInstance(__uuidof(UpdateSession), nullptr, CLSCTX_INPROC_SERVER,
                                  __uuidof(IUpdateSession), session.putVoid());
  if (FAILED(hr) || !session) {
    out.searchError = "the Windows Update Agent (Microsoft.Update.Session) cannot be created: " +
                      win::describe(hr);
    out.searchUnavailable = hr == REGDB_E_CLASSNOTREG || hr == E_NOTIMPL;
  } else {
    win::Bstr app(L"Posture agent");
    (void)session->put_ClientApplicationID(app.get());
    search(session.get(), out);
  }

  win::ComPtr<ISystemInformation> info;
  hr = ::CoCreateInstance(__uuidof(SystemInformation), nullptr, CLSCTX_INPROC_SERVER,
                          __uuidof(ISystemInformation), info.putVoid());
  VARIANT_BOOL reboot = VARIANT_FALSE;
  if (SUCCEEDED(hr) && info && SUCCEEDED(hr = info->get_RebootRequired(&reboot))) {
    out.rebootRequired = reboot != VARIANT_FALSE;
  } else {
    out.notes.push_back("Windows Update Agent RebootRequired not read: " + win::describe(hr));
  }
  automaticUpdatesResults(out);
  return out;
}

// The search running now (from this cycle or an earlier one that ran out of time), or a
// new one on its own thread.
std::shared_ptr<WuaShared> startOrJoinWua() {
  static std::mutex guard;
  static std::shared_ptr<WuaShared> last;
  std::lock_guard<std::mutex> lock(guard);
  if (last) {
    std::lock_guard<std::mutex> l(last->mutex);
    if (!last->finished) return last;
  }
  auto shared = std::make_shared<WuaShared>();
  std::thread([shared] {
    WuaOutcome out;
    try {
      out = runWua();
    } catch (const std::exception& e) {
      out.searchError = std::string("Windows Update Agent failed: ") + e.what();
    } catch (...) {
      out.searchError = "Windows Update Agent failed";
    }
    std::lock_guard<std::mutex> l(shared->mutex);
    shared->outcome = std::move(out);
    shared->finished = true;
    shared->done.notify_all();
  }).detach();
  last = shared;
  return shared;
}

std::string regText(const wchar_t* key, const wchar_t* value) {
  auto s = win::regString(HKEY_LOCAL_MACHINE, key, value);
  return s ? win::toUtf8(*s) : std::string();
}

void readQfe(PatchesResult& r, win::Clock::time_point deadline,
             std::optional<std::int64_t>& newest) {
  auto wmi = win::connectWmi(L"ROOT\\CIMV2");
  if (!wmi.services) {
    r.outcome.note("installed updates not listed: " + wmi.error);
    return;
  }
  auto q = win::wmiQuery(wmi.services.get(),
                         L"SELECT HotFixID, InstalledOn FROM Win32_QuickFixEngineering", deadline);
  if (!q.error.empty()) r.outcome.note("installed updates not listed completely: " + q.error);
  std::vector<std::string> ids;
  for (const auto& row : q.rows) {
    if (auto id = row.string(L"HotFixID")) ids.push_back(*id);
    if (auto on = row.string(L"InstalledOn")) {
      auto t = parsers::parseQfeInstalledOn(*on);
      if (t && (!newest || *t > *newest)) newest = t;
    }
  }
  r.installedUpdates = parsers::normaliseHotFixIds(ids);
}

}  // namespace

PatchesResult probePatches(const ProbeContext& context) {
  const auto deadline = win::Clock::now() + context.budget;
  PatchesResult r;
  r.source =
      "Windows Update Agent (search of the last Windows Update scan) + Win32_QuickFixEngineering";
  win::ComApartment com;
  if (!com.ok()) {
    r.outcome.fail(ProbeStatus::Error, com.error());
    return r;
  }
  // Started first: it runs while the rest is read.
  auto wua = startOrJoinWua();

  constexpr const wchar_t* kNt = L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";
  auto build = regText(kNt, L"CurrentBuildNumber");
  if (auto ubr = win::regDword(HKEY_LOCAL_MACHINE, kNt, L"UBR"); ubr && !build.empty())
    build += "." + std::to_string(*ubr);
  r.runningKernel = build;
  const auto installationType = regText(kNt, L"InstallationType");
  const bool server = !installationType.empty() && installationType != "Client";

  parsers::RebootMarks marks;
  auto cbs = win::regKeyExists(
      HKEY_LOCAL_MACHINE,
      L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending");
  auto wu = win::regKeyExists(
      HKEY_LOCAL_MACHINE,
      L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired");
  marks.cbsRebootPending = cbs.value_or(false);
  marks.wuRebootRequired = wu.value_or(false);
  marks.registryRead = cbs.has_value() && wu.has_value();
  auto renames = win::regMultiString(HKEY_LOCAL_MACHINE,
                                     L"SYSTEM\\CurrentControlSet\\Control\\Session Manager",
                                     L"PendingFileRenameOperations");
  marks.pendingFileRenameOperations = renames && !renames->empty();

  constexpr const wchar_t* kAuPolicy = L"SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU";
  auto wuauserv = win::serviceState(L"wuauserv");
  auto noAutoUpdate = win::regDword(HKEY_LOCAL_MACHINE, kAuPolicy, L"NoAutoUpdate");
  auto auOptions = win::regDword(HKEY_LOCAL_MACHINE, kAuPolicy, L"AUOptions");
  auto localAuOptions = win::regDword(
      HKEY_LOCAL_MACHINE,
      L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update", L"AUOptions");
  const bool configured = noAutoUpdate || auOptions || localAuOptions;
  auto automatic =
      parsers::decodeAutomaticUpdates(noAutoUpdate, auOptions, localAuOptions,
                                      wuauserv && wuauserv->startType == SERVICE_DISABLED, server);
  if (!wuauserv)
    r.outcome.note("the Windows Update service (wuauserv) does not exist" + win::underWine());

  std::optional<std::int64_t> qfeNewest;
  readQfe(r, deadline, qfeNewest);

  // The WUA thread gets whatever budget is left, and at least a second.
  WuaOutcome wuaOut;
  bool finished = false;
  {
    std::unique_lock<std::mutex> lock(wua->mutex);
    auto until = std::max(deadline, win::Clock::now() + std::chrono::seconds(1));
    finished = wua->done.wait_until(lock, until, [&] { return wua->finished; });
    if (finished) wuaOut = wua->outcome;
  }
  if (!finished) {
    auto waited =
        std::chrono::duration_cast<std::chrono::seconds>(win::Clock::now() - wua->started).count();
    r.outcome.fail(ProbeStatus::Unavailable, "Windows Update search did not finish within " +
                                                 std::to_string(waited) +
                                                 " s (it goes on in the background)");
  } else if (!wuaOut.pending) {
    r.outcome.fail(wuaOut.searchUnavailable ? ProbeStatus::Unavailable : ProbeStatus::Error,
                   wuaOut.searchError + win::underWine());
  } else {
    r.pendingUpdates = wuaOut.pending->total;
    r.pendingSecurityUpdates = wuaOut.pending->security;
    r.pendingCriticalUpdates = wuaOut.pending->critical;
    if (wuaOut.pending->definition > 0) {
      r.outcome.note(std::to_string(wuaOut.pending->definition) +
                     " of the pending updates are anti-malware definitions");
    }
  }
  for (const auto& n : wuaOut.notes) r.outcome.note(n);

  marks.wuaRebootRequired = wuaOut.rebootRequired;
  auto reboot = parsers::decodeRebootRequired(marks);
  r.rebootRequired = reboot.state;
  r.outcome.note(reboot.reason);
  // "On by default" stands only where the Windows Update Agent works.
  if (!configured && automatic.state == Tristate::On && finished && wuaOut.searchUnavailable) {
    automatic = {Tristate::Unknown,
                 "automatic updates unknown: no policy is set and the Windows Update Agent is not "
                 "available"};
  }
  r.automaticUpdates = automatic.state;
  r.outcome.note(automatic.reason);

  r.lastCheckTime = wuaOut.lastSearch;
  r.lastInstallTime = wuaOut.lastInstall;
  if (qfeNewest && (!r.lastInstallTime || *qfeNewest > *r.lastInstallTime))
    r.lastInstallTime = qfeNewest;
  if (finished && !r.lastCheckTime)
    r.outcome.note("the time of Windows Update's last successful search is unknown");
  if (!r.lastInstallTime)
    r.outcome.note(
        "no installation found in the Windows Update history or Win32_QuickFixEngineering");
  return r;
}

}  // namespace posture::agent
