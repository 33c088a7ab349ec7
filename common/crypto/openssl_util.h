#pragma once
// Inside common/crypto only: OpenSSL handles owned by unique_ptr, errors turned into
// CryptoError with OpenSSL's own reasons, PEM loading that never prompts.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <memory>
#include <string>

namespace posture::crypto::detail {

template <auto FreeFn>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    FreeFn(p);
  }
};
template <class T, auto FreeFn>
using Ptr = std::unique_ptr<T, Deleter<FreeFn>>;

using PkeyPtr = Ptr<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = Ptr<X509, X509_free>;
using ReqPtr = Ptr<X509_REQ, X509_REQ_free>;
using BioPtr = Ptr<BIO, BIO_free_all>;
using BnPtr = Ptr<BIGNUM, BN_free>;
using ExtPtr = Ptr<X509_EXTENSION, X509_EXTENSION_free>;
using NamesPtr = Ptr<GENERAL_NAMES, GENERAL_NAMES_free>;
using NamePtr = Ptr<GENERAL_NAME, GENERAL_NAME_free>;
using Ia5Ptr = Ptr<ASN1_IA5STRING, ASN1_IA5STRING_free>;
using OctetPtr = Ptr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using TimePtr = Ptr<ASN1_TIME, ASN1_TIME_free>;
using StorePtr = Ptr<X509_STORE, X509_STORE_free>;
using StoreCtxPtr = Ptr<X509_STORE_CTX, X509_STORE_CTX_free>;
using MdCtxPtr = Ptr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EkuPtr = Ptr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;

struct OpenSslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};
using OpenSslBytes = std::unique_ptr<unsigned char, OpenSslFree>;
using OpenSslChars = std::unique_ptr<char, OpenSslFree>;

// Drains OpenSSL's error queue into one line ("" when empty), so a later failure never
// reports this one's leftovers.
std::string openSslErrors();
// Throws CryptoError with `what` and the queued OpenSSL errors.
[[noreturn]] void fail(const std::string& what);
std::string toHex(const unsigned char* data, std::size_t size);
// The passphrase callback that refuses: an encrypted key is refused, never prompted for.
int refusePassphrase(char*, int, int, void*);
// PEM text into a memory BIO; CryptoError naming `what` when empty or over kMaxPemBytes.
BioPtr readBio(const std::string& pem, const std::string& what);
PkeyPtr loadPrivateKey(const std::string& pem, const std::string& what);
X509Ptr loadCertificate(const std::string& pem, const std::string& what);

}  // namespace posture::crypto::detail
