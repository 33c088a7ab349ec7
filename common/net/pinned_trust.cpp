#include "common/net/pinned_trust.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

#include "common/net/tls_context.h"

namespace posture::net {

std::string PinnedOutcome::caPem() const {
  std::lock_guard lock(mutex_);
  return caPem_;
}
std::string PinnedOutcome::caFingerprint() const {
  std::lock_guard lock(mutex_);
  return fingerprint_;
}
std::string PinnedOutcome::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}
void PinnedOutcome::succeeded(std::string caPem, std::string fingerprint) {
  std::lock_guard lock(mutex_);
  caPem_ = std::move(caPem);
  fingerprint_ = std::move(fingerprint);
  failure_.clear();
}
void PinnedOutcome::failed(std::string why) {
  std::lock_guard lock(mutex_);
  failure_ = std::move(why);
}

namespace {
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};

std::string fingerprintOf(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return {};
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string pemOf(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return {};
  std::string pem;
  if (PEM_write_bio_X509(bio, cert) == 1) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (len > 0) pem.assign(data, static_cast<std::size_t>(len));
  }
  BIO_free(bio);
  return pem;
}

std::string subjectOf(X509* cert) {
  char buf[256] = {};
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf - 1);
  return buf;
}

// One per context; lives as long as the context (see makePinnedClientContext).
struct Verifier {
  EnrolmentTrust trust;
  std::shared_ptr<PinnedOutcome> outcome;

  // The certificate the chain must end in: the pinned one, or on first use the last
  // CA certificate the server sent. Never the leaf itself.
  static X509* anchorIn(X509* leaf, STACK_OF(X509)* sent, const std::string& pin, std::string& why) {
    int n = sent ? sk_X509_num(sent) : 0;
    X509* last = nullptr;
    for (int i = 0; i < n; ++i) {
      X509* c = sk_X509_value(sent, i);
      if (X509_cmp(c, leaf) == 0) continue;
      if (!pin.empty() && fingerprintOf(c) == pin) return c;
      last = c;
    }
    if (pin.empty() && last && X509_check_ca(last) > 0) return last;
    if (!pin.empty()) {
      why = "its certificate chain does not contain the pinned CA: expected " + pin;
      if (last) why += ", the last certificate it sent is " + subjectOf(last) + " with SHA-256 " + fingerprintOf(last);
      else why += ", it sent no CA certificate";
    } else {
      why = "it sent no CA certificate to trust on first use";
    }
    return nullptr;
  }

  static std::string explain(int err, X509_STORE_CTX* ctx) {
    switch (err) {
      case X509_V_ERR_INVALID_PURPOSE:
        return "its certificate is not a server certificate (no EKU serverAuth; an agent's "
               "certificate, for example)";
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return "its certificate does not name the address dialled";
      default: {
        std::string s = X509_verify_cert_error_string(err);
        if (X509* at = X509_STORE_CTX_get_current_cert(ctx)) s += " (" + subjectOf(at) + ")";
        return "its certificate chain does not verify: " + s;
      }
    }
  }

  // Runs in place of OpenSSL's own chain check (SSL_CTX_set_cert_verify_callback): 1
  // accepts, 0 fails the handshake with the error left in `ctx`.
  int verify(X509_STORE_CTX* ctx) const {
    X509* leaf = X509_STORE_CTX_get0_cert(ctx);
    if (!leaf) {
      X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNSPECIFIED);
      outcome->failed("it presented no certificate");
      return 0;
    }
    // On first use, the CA the first connection trusted binds the later ones (the
    // enrolment after the clock check): one server cannot hand over to another.
    std::string pin = trust.caFingerprint.empty() ? outcome->caFingerprint() : trust.caFingerprint;
    std::string why;
    X509* anchor = anchorIn(leaf, X509_STORE_CTX_get0_untrusted(ctx), pin, why);
    if (!anchor) {
      X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_UNTRUSTED);
      outcome->failed(why);
      return 0;
    }
    std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
    std::unique_ptr<X509_STORE_CTX, StoreCtxFree> check(X509_STORE_CTX_new());
    if (!store || !check || X509_STORE_add_cert(store.get(), anchor) != 1 ||
        X509_STORE_CTX_init(check.get(), store.get(), leaf, X509_STORE_CTX_get0_untrusted(ctx)) != 1) {
      X509_STORE_CTX_set_error(ctx, X509_V_ERR_OUT_OF_MEM);
      outcome->failed("cannot set up the certificate check");
      return 0;
    }
    // The connection's parameters carry the host or IP address HttpsClient dialled.
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(check.get());
    X509_VERIFY_PARAM_set1(param, X509_STORE_CTX_get0_param(ctx));
    // Only the anchor is trusted, even when it is not self-signed (an intermediate such
    // as a district CA under a province's); dates are for after enrolment (header).
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
    X509_STORE_CTX_set_purpose(check.get(), X509_PURPOSE_SSL_SERVER);
    X509_STORE_CTX_set_trust(check.get(), X509_TRUST_SSL_SERVER);
    if (X509_verify_cert(check.get()) != 1) {
      int err = X509_STORE_CTX_get_error(check.get());
      X509_STORE_CTX_set_error(ctx, err == X509_V_OK ? X509_V_ERR_UNSPECIFIED : err);
      outcome->failed(explain(err, check.get()));
      return 0;
    }
    outcome->succeeded(pemOf(anchor), fingerprintOf(anchor));
    return 1;
  }
};

int verifyCallback(X509_STORE_CTX* ctx, void* arg) {
  try {
    return static_cast<const Verifier*>(arg)->verify(ctx);
  } catch (...) {
    // Never let an exception cross OpenSSL's C frames; a failed check fails the handshake.
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
}

// The context and its verifier in one allocation, so the callback's argument lives
// exactly as long as the context.
struct PinnedContext {
  std::shared_ptr<ssl::context> tls;
  Verifier verifier;
};
}  // namespace

std::shared_ptr<ssl::context> makePinnedClientContext(const EnrolmentTrust& trust,
                                                      std::shared_ptr<PinnedOutcome> outcome) {
  if (trust.caFingerprint.empty() && !trust.trustOnFirstUse) {
    throw std::invalid_argument("a pinned context needs a CA fingerprint or trust on first use");
  }
  if (!outcome) throw std::invalid_argument("a pinned context needs an outcome to report to");
  auto holder = std::make_shared<PinnedContext>();
  holder->tls = makeClientContext({});  // the shared protocol settings, no CA
  holder->verifier = Verifier{trust, std::move(outcome)};
  SSL_CTX* native = holder->tls->native_handle();
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_cert_verify_callback(native, verifyCallback, &holder->verifier);
  return std::shared_ptr<ssl::context>(holder, holder->tls.get());
}

}  // namespace posture::net
