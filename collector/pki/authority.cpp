#include "collector/pki/authority.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <stdexcept>

#include "common/log/log.h"
#include "common/util/files.h"
#include "common/util/time.h"

namespace posture::collector {
namespace fs = std::filesystem;

namespace {
std::string mustRead(const fs::path& p) {
  auto content = util::readFile(p);
  if (!content) throw std::runtime_error("cannot read " + p.string());
  return *content;
}

bool isIp(const std::string& s) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(s, ec);
  return !ec;
}

// The server certificate's whole validity period, from notBefore (backdated by
// crypto::kClockSkewSeconds) to notAfter, stays within the 825 days TLS scanners hold
// certificates to (testssl.sh flags "825 > 825 days" as MEDIUM): 824 days and 5 minutes.
constexpr int kServerCertificateDays = 824;
constexpr std::int64_t kServerCertificateSeconds =
    kServerCertificateDays * 86400LL + crypto::kClockSkewSeconds;
}  // namespace

std::vector<std::string> machineAddresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    boost::asio::ip::address a;
    if (i->ifa_addr->sa_family == AF_INET) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
      a = boost::asio::ip::address_v4(ntohl(v4->sin_addr.s_addr));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(i->ifa_addr);
      boost::asio::ip::address_v6::bytes_type b;
      std::copy(std::begin(v6->sin6_addr.s6_addr), std::end(v6->sin6_addr.s6_addr), b.begin());
      auto addr6 = boost::asio::ip::address_v6(b);
      if (addr6.is_link_local() || addr6.is_v4_mapped()) continue;
      a = addr6;
    } else {
      continue;
    }
    if (a.is_loopback() || a.is_unspecified()) continue;
    std::string text = a.to_string();
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(text);
  }
  ::freeifaddrs(list);
  std::sort(out.begin(), out.end());
  return out;
}

crypto::CertificateAuthority loadCa(const fs::path& dataDir) {
  if (!fs::exists(dataDir / "ca.crt")) {
    throw std::runtime_error("no CA in " + dataDir.string() +
                             " (start `posture-collector serve` once to create it)");
  }
  return {mustRead(dataDir / "ca.crt"), mustRead(dataDir / "ca.key")};
}

ServerIdentity loadOrCreateIdentity(const fs::path& dataDir,
                                    const std::vector<std::string>& extraNames,
                                    const std::optional<ExistingCa>& existing) {
  util::ensurePrivateDirectory(dataDir);  // 0700 whatever the umask: it holds the CA key
  ServerIdentity id;
  std::optional<crypto::CertificateAuthority> given;
  if (existing) {
    given = crypto::CertificateAuthority{mustRead(existing->certFile), mustRead(existing->keyFile)};
    crypto::CertificateInfo info;
    try {
      info = crypto::inspectCertificate(given->certPem);
    } catch (const std::exception& e) {
      throw std::runtime_error(existing->certFile.string() + ": not a certificate: " + e.what());
    }
    if (!info.isCa) throw std::runtime_error(existing->certFile.string() + " is not a CA certificate (basicConstraints CA:TRUE)");
    if (!crypto::keyMatchesCertificate(given->keyPem, given->certPem)) {
      throw std::runtime_error(existing->keyFile.string() + " is not the key of " + existing->certFile.string());
    }
  }
  if (fs::exists(dataDir / "ca.crt")) {
    id.ca = loadCa(dataDir);
    if (given && crypto::certificateFingerprint(given->certPem) != crypto::certificateFingerprint(id.ca.certPem)) {
      throw std::runtime_error(dataDir.string() + " already has a different CA (SHA-256 " +
                               crypto::certificateFingerprint(id.ca.certPem) +
                               "); its agents trust that one, so it is not replaced");
    }
  } else if (given) {
    id.ca = *given;
    util::writeFileAtomic(dataDir / "ca.key", id.ca.keyPem, 0600);
    util::writeFileAtomic(dataDir / "ca.crt", id.ca.certPem, 0644);
    log::info("took the configured CA ", existing->certFile.string(), " into ", dataDir.string());
  } else {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    id.ca = crypto::createCertificateAuthority(std::string("Posture collector CA ") + host,
                                               3650);
    util::writeFileAtomic(dataDir / "ca.key", id.ca.keyPem, 0600);
    util::writeFileAtomic(dataDir / "ca.crt", id.ca.certPem, 0644);
    log::info("created the collector CA in ", dataDir.string());
  }
  id.caFingerprint = crypto::certificateFingerprint(id.ca.certPem);

  std::vector<std::string> dns{"localhost"}, ips{"127.0.0.1", "::1"};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0]) dns.emplace_back(host);
  std::vector<std::string> names = extraNames;
  for (const auto& n : extraNames) {
    // A wildcard listener is reached on every address of the machine.
    if (n == "0.0.0.0" || n == "::") {
      for (auto& a : machineAddresses()) names.push_back(a);
    }
  }
  for (const auto& n : names) {
    if (n.empty() || n == "0.0.0.0" || n == "::") continue;
    auto& list = isIp(n) ? ips : dns;
    if (std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
  }

  bool reissue = !fs::exists(dataDir / "server.crt");
  if (!reissue) {
    id.serverCertPem = mustRead(dataDir / "server.crt");
    id.serverKeyPem = mustRead(dataDir / "server.key");
    auto info = crypto::inspectCertificate(id.serverCertPem);
    std::string why;
    for (const auto& d : dns) {
      if (std::find(info.dnsNames.begin(), info.dnsNames.end(), d) == info.dnsNames.end()) reissue = true;
    }
    for (const auto& ip : ips) {
      auto norm = boost::asio::ip::make_address(ip).to_string();
      bool found = false;
      for (const auto& have : info.ipAddresses) {
        boost::system::error_code ec;
        auto a = boost::asio::ip::make_address(have, ec);
        if (!ec && a.to_string() == norm) found = true;
      }
      if (!found) reissue = true;
    }
    if (!crypto::verifyCertificate(id.serverCertPem, id.ca.certPem, &why)) reissue = true;
    // Renew well before expiry.
    if (info.notAfter - 30 * util::kSecondsPerDay < util::unixNow()) reissue = true;
    // Issued for longer than we issue now (825 days before the TLS audit): replaced.
    if (info.notAfter - info.notBefore > kServerCertificateSeconds) reissue = true;
  }
  if (reissue) {
    id.serverKeyPem = crypto::generatePrivateKeyPem();
    id.serverCertPem = crypto::issueServerCertificate(id.ca, {id.serverKeyPem, dns, ips,
                                                                kServerCertificateDays});
    util::writeFileAtomic(dataDir / "server.key", id.serverKeyPem, 0600);
    util::writeFileAtomic(dataDir / "server.crt", id.serverCertPem, 0644);
    log::info("issued the collector's server certificate");
  }
  id.serverChainPem = id.serverCertPem;
  if (!id.serverChainPem.empty() && id.serverChainPem.back() != '\n') id.serverChainPem += '\n';
  id.serverChainPem += id.ca.certPem;
  return id;
}

}  // namespace posture::collector
