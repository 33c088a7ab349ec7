#pragma once
// Reading a large backup without holding it in memory. d2i_CMS_bio would read the whole
// file, and its parse copies the encrypted content once more (3.3 GB resident for a 1.1 GB
// backup). The file as EnvelopeWriter streams it is BER with indefinite lengths down to the
// encrypted content, so the content can be cut out without changing any length: OpenSSL
// parses the small rest (recipient, nonce, tag) and decrypts the content as a detached
// stream read from the file (CMS_decrypt's dcont), checking the tag at its end. Files
// encoded otherwise (definite lengths) are read the usual way.
#include <openssl/bio.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

namespace posture::collector::backup {

enum class BerCheck { Complete, Truncated, Malformed };
// Walks the structure of the file's first element, seeking over contents: whether it ends
// within the file (a truncated file does not).
BerCheck checkBer(std::FILE* f, std::uint64_t size);

// The bytes [start, end) of AuthEnvelopedData's encryptedContent, found when every element
// around it has an indefinite length and the content is a primitive OCTET STRING or
// indefinite chunks of them; nullopt otherwise.
struct ContentSplit {
  std::uint64_t start = 0, end = 0;
  bool chunked = true;            // [0] constructed: OCTET STRING chunks, then 00 00
  std::uint64_t valueStart = 0;   // primitive: where the octets start
  std::uint64_t valueLength = 0;  // primitive: how many
};
std::optional<ContentSplit> findEncryptedContent(std::FILE* f, std::uint64_t size);

// The PBKDF2 iteration count of every password recipient (PWRI) of the file's
// AuthEnvelopedData, in order, read before anything is derived: a hostile file could ask
// for billions. Lengths may be definite or indefinite. nullopt when the structure or a
// recipient's key derivation cannot be read this way (not PBKDF2, malformed); a count
// that does not fit 64 bits, or is negative, reads as UINT64_MAX.
std::optional<std::vector<std::uint64_t>> pbkdf2Iterations(std::FILE* f, std::uint64_t size);

// A read-only source BIO giving the content octets of `split` (chunk headers skipped),
// read from `f`, which must outlive it. Free with BIO_free.
BIO* newContentBio(std::FILE* f, const ContentSplit& split);

}  // namespace posture::collector::backup
