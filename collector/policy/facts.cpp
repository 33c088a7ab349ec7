#include "collector/policy/facts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "common/util/time.h"
#include "posture/v1/federation.pb.h"
#include "posture/v1/report.pb.h"

namespace posture::policy {
namespace {

namespace v1 = posture::v1;

constexpr auto kSecondsPerHour = static_cast<double>(util::kSecondsPerHour);
constexpr auto kSecondsPerDay = static_cast<double>(util::kSecondsPerDay);

const std::vector<FactInfo> kCatalogue = {
    {"endpoint.hostname", FactType::String, "Tên máy", "Host name"},
    {"endpoint.os_name", FactType::String, "Hệ điều hành", "Operating system"},
    {"endpoint.os_version", FactType::String, "Phiên bản hệ điều hành", "Operating system version"},
    {"endpoint.agent_version", FactType::String, "Phiên bản tác tử", "Agent version"},
    {"endpoint.unit_code", FactType::String, "Mã đơn vị", "Unit code"},
    {"report.age_hours", FactType::Number, "Số giờ từ lần thu thập báo cáo",
     "Hours since the report was collected"},
    {"antivirus.installed", FactType::Bool, "Đã cài phần mềm phòng, chống mã độc",
     "Anti-malware installed"},
    {"antivirus.product_count", FactType::Number, "Số sản phẩm phòng, chống mã độc",
     "Number of anti-malware products"},
    {"antivirus.products", FactType::String, "Sản phẩm phòng, chống mã độc", "Anti-malware products"},
    {"antivirus.real_time", FactType::Bool, "Bảo vệ thời gian thực", "Real-time protection"},
    {"antivirus.signature_age_days", FactType::Number, "Số ngày từ lần cập nhật mẫu nhận diện",
     "Days since the signature update"},
    {"antivirus.up_to_date", FactType::Bool, "Mẫu nhận diện được cập nhật",
     "Signatures up to date"},
    {"antivirus.managed", FactType::Bool, "Quản trị tập trung", "Centrally managed"},
    // Not from the report: set by the evaluation from the collectors' links (issue 16).
    {"soc.connected", FactType::Bool, "Số liệu về được Trung tâm SOC cấp trên",
     "Reaches the upper-tier SOC"},
    {"patches.pending", FactType::Number, "Số bản cập nhật đang chờ", "Pending updates"},
    {"patches.pending_security", FactType::Number, "Số bản cập nhật bảo mật đang chờ",
     "Pending security updates"},
    {"patches.days_since_install", FactType::Number, "Số ngày từ lần cài bản vá gần nhất",
     "Days since the last update was installed"},
    {"patches.days_since_check", FactType::Number, "Số ngày từ lần kiểm tra bản vá gần nhất",
     "Days since the last check for updates"},
    {"patches.reboot_required", FactType::Bool, "Cần khởi động lại", "Restart required"},
    {"patches.automatic", FactType::Bool, "Tự động cập nhật", "Automatic updates"},
    {"ipv6.enabled", FactType::Bool, "Đã bật IPv6", "IPv6 enabled"},
    {"ipv6.level", FactType::Number, "Mức sẵn sàng IPv6 (0-4)", "IPv6 readiness level (0-4)"},
    {"firewall.enabled", FactType::Bool, "Đã bật tường lửa", "Firewall enabled"},
    {"firewall.default_deny", FactType::Bool, "Tường lửa chặn kết nối vào theo mặc định",
     "Firewall denies inbound by default"},
    {"firewall.backend", FactType::String, "Loại tường lửa", "Firewall backend"},
    {"firewall.rule_count", FactType::Number, "Số quy tắc tường lửa", "Firewall rule count"},
};

const std::vector<FactInfo> kSystemCatalogue = {
    {"system.level", FactType::Number, "Cấp độ an toàn hệ thống thông tin (1-5)",
     "Security level of the information system (1-5)", FactSubject::System},
    {"system.shared", FactType::Bool, "Hệ thống thông tin dùng chung",
     "Shared information system", FactSubject::System},
    {"system.dossier_approved", FactType::Bool, "Hồ sơ đề xuất cấp độ đã được phê duyệt",
     "Level dossier approved", FactSubject::System},
    {"system.plan_implemented", FactType::Bool,
     "Đã triển khai phương án bảo đảm an toàn thông tin theo cấp độ",
     "Level-based protection plan implemented", FactSubject::System},
    {"system.assessment_required", FactType::Bool,
     "Phải kiểm tra, đánh giá độc lập (cấp độ 3 trở lên)",
     "Independent assessment required (level 3 and above)", FactSubject::System},
    {"system.assessment_current", FactType::Bool,
     "Có kết quả kiểm tra, đánh giá độc lập còn hiệu lực",
     "Independent assessment within its period", FactSubject::System},
};

FactValue tristate(v1::Tristate t) {
  switch (t) {
    case v1::TRISTATE_ON: return true;
    case v1::TRISTATE_OFF: return false;
    default: return std::monostate{};  // UNKNOWN, or a value a newer agent added
  }
}

bool probeOk(const v1::ProbeResult& probe) { return probe.status() == v1::PROBE_STATUS_OK; }

FactValue nonEmpty(const std::string& s) {
  if (s.empty()) return std::monostate{};
  return s;
}

// Across products: true when any product says ON; false when the probe found no product
// or every product says OFF; unknown otherwise (some UNKNOWN and none ON).
template <typename Field>
FactValue anyProductOn(const v1::Antivirus& av, Field field) {
  bool allOff = true;
  for (const auto& p : av.products()) {
    v1::Tristate t = (p.*field)();
    if (t == v1::TRISTATE_ON) return true;
    if (t != v1::TRISTATE_OFF) allOff = false;
  }
  if (allOff) return false;
  return std::monostate{};
}

double secondsOf(const google::protobuf::Timestamp& t) {
  return static_cast<double>(t.seconds()) + static_cast<double>(t.nanos()) / 1e9;
}

}  // namespace

std::string_view factTypeName(FactType t) {
  switch (t) {
    case FactType::Bool: return "bool";
    case FactType::Number: return "number";
    case FactType::String: break;
  }
  return "string";
}

const std::vector<FactInfo>& factCatalogue() { return kCatalogue; }

const FactInfo* findFact(std::string_view name) {
  for (const auto& f : kCatalogue) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const std::vector<FactInfo>& systemFactCatalogue() { return kSystemCatalogue; }

const FactInfo* findSystemFact(std::string_view name) {
  for (const auto& f : kSystemCatalogue) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string_view factSubjectName(FactSubject s) {
  return s == FactSubject::System ? "system" : "endpoint";
}

Facts::Facts() : Facts(FactSubject::Endpoint) {}

FactSubject Facts::subject() const {
  return catalogue_ == &kSystemCatalogue ? FactSubject::System : FactSubject::Endpoint;
}

Facts::Facts(FactSubject subject)
    : catalogue_(subject == FactSubject::Endpoint ? &kCatalogue : &kSystemCatalogue),
      values_(catalogue_->size()) {}

namespace {
// Index of a name in a catalogue, or npos; catalogues are a few dozen entries.
std::size_t indexOf(const std::vector<FactInfo>& catalogue, std::string_view name) {
  for (std::size_t i = 0; i < catalogue.size(); ++i) {
    if (catalogue[i].name == name) return i;
  }
  return std::string_view::npos;
}
}  // namespace

const FactValue* Facts::get(std::string_view name) const {
  std::size_t i = indexOf(*catalogue_, name);
  if (i != std::string_view::npos) return &values_[i];
  auto it = extra_.find(name);
  return it == extra_.end() ? nullptr : &it->second;
}

void Facts::set(std::string_view name, FactValue value) {
  std::size_t i = indexOf(*catalogue_, name);
  if (i != std::string_view::npos) {
    values_[i] = std::move(value);
    return;
  }
  auto it = extra_.find(name);
  if (it == extra_.end()) {
    extra_.emplace(std::string(name), std::move(value));
  } else {
    it->second = std::move(value);
  }
}

std::map<std::string, FactValue, std::less<>> Facts::values() const {
  std::map<std::string, FactValue, std::less<>> out = extra_;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    out.emplace(std::string((*catalogue_)[i].name), values_[i]);
  }
  return out;
}

Facts factsFromFederated(std::string_view bytes, std::int64_t factsAt, std::int64_t nowUnix) {
  Facts out;
  v1::FederatedEndpoint e;
  if (!e.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return out;
  double elapsed = factsAt > 0 && nowUnix > factsAt ? static_cast<double>(nowUnix - factsAt) : 0;
  for (const auto& f : e.facts()) {
    switch (f.value_case()) {
      case v1::FederatedFact::kFlag: out.set(f.name(), f.flag()); break;
      case v1::FederatedFact::kNumber:
        if (f.name() == "report.age_hours") out.set(f.name(), f.number() + elapsed / kSecondsPerHour);
        else if (f.name() == "antivirus.signature_age_days") out.set(f.name(), f.number() + elapsed / kSecondsPerDay);
        else out.set(f.name(), f.number());
        break;
      case v1::FederatedFact::kText: out.set(f.name(), f.text()); break;
      case v1::FederatedFact::VALUE_NOT_SET: break;
    }
  }
  return out;
}

Facts factsFromReport(const v1::Report& report, std::int64_t nowUnix) {
  Facts facts;
  const double now = static_cast<double>(nowUnix);

  if (report.has_collected_at()) {
    facts.set("report.age_hours", (now - secondsOf(report.collected_at())) / kSecondsPerHour);
  }

  const auto& id = report.identity();
  if (probeOk(id.probe())) {
    facts.set("endpoint.hostname", nonEmpty(id.hostname()));
    facts.set("endpoint.os_name", nonEmpty(id.os_name()));
    facts.set("endpoint.os_version", nonEmpty(id.os_version()));
    facts.set("endpoint.agent_version", nonEmpty(id.agent_version()));
    facts.set("endpoint.unit_code", nonEmpty(id.unit_code()));
  }

  const auto& av = report.antivirus();
  if (probeOk(av.probe())) {
    facts.set("antivirus.installed", av.products_size() > 0);
    facts.set("antivirus.product_count", static_cast<double>(av.products_size()));
    std::string names;
    std::optional<double> youngest;
    for (const auto& p : av.products()) {
      if (!names.empty()) names += ", ";
      names += p.name().empty() ? p.vendor() : p.name();
      if (p.has_signature_time()) {
        double age = (now - secondsOf(p.signature_time())) / kSecondsPerDay;
        youngest = youngest ? std::min(*youngest, age) : age;
      }
    }
    facts.set("antivirus.products", names);
    facts.set("antivirus.real_time",
              anyProductOn(av, &v1::AntivirusProduct::real_time_protection));
    facts.set("antivirus.up_to_date", anyProductOn(av, &v1::AntivirusProduct::up_to_date));
    facts.set("antivirus.managed", anyProductOn(av, &v1::AntivirusProduct::managed));
    if (youngest) facts.set("antivirus.signature_age_days", *youngest);
  }

  const auto& pa = report.patches();
  if (probeOk(pa.probe())) {
    if (pa.has_pending_updates()) {
      facts.set("patches.pending", static_cast<double>(pa.pending_updates()));
    }
    if (pa.has_pending_security_updates()) {
      facts.set("patches.pending_security", static_cast<double>(pa.pending_security_updates()));
    }
    if (pa.has_last_install_time()) {
      facts.set("patches.days_since_install",
                (now - secondsOf(pa.last_install_time())) / kSecondsPerDay);
    }
    if (pa.has_last_check_time()) {
      facts.set("patches.days_since_check",
                (now - secondsOf(pa.last_check_time())) / kSecondsPerDay);
    }
    facts.set("patches.reboot_required", tristate(pa.reboot_required()));
    facts.set("patches.automatic", tristate(pa.automatic_updates()));
  }

  const auto& ip = report.ipv6();
  if (probeOk(ip.probe())) {
    facts.set("ipv6.enabled", tristate(ip.enabled()));
    facts.set("ipv6.level", static_cast<double>(ip.readiness_level()));
  }

  const auto& fw = report.firewall();
  if (probeOk(fw.probe())) {
    facts.set("firewall.enabled", tristate(fw.enabled()));
    facts.set("firewall.default_deny", tristate(fw.default_deny_input()));
    facts.set("firewall.backend", nonEmpty(fw.backend()));
    if (fw.has_rule_count()) {
      facts.set("firewall.rule_count", static_cast<double>(fw.rule_count()));
    }
  }
  return facts;
}

std::string formatFact(const FactValue& value, bool vietnamese) {
  if (std::holds_alternative<std::monostate>(value)) return vietnamese ? "không rõ" : "unknown";
  if (const bool* b = std::get_if<bool>(&value)) {
    if (vietnamese) return *b ? "có" : "không";
    return *b ? "yes" : "no";
  }
  if (const double* d = std::get_if<double>(&value)) {
    if (!std::isfinite(*d)) return vietnamese ? "không rõ" : "unknown";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", *d);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    if (s == "-0") s = "0";  // a tiny negative rounds to "-0.00"
    if (vietnamese) std::replace(s.begin(), s.end(), '.', ',');
    return s;
  }
  return std::get<std::string>(value);
}

}  // namespace posture::policy
