#pragma once
// What both ends of a federation link agree on: the identity (key) of each change, the
// removal that undoes an upsert, and the bounds every change and push must keep. The child
// checks its rows with the same function the parent refuses them with, so a row the parent
// would refuse never enters the outbox (where it would block every later change).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "posture/v1/federation.pb.h"

namespace posture::collector::federation {

// Bounds of one push and of its fields; a push beyond them is refused with the field named.
inline constexpr std::size_t kMaxPushChanges = 10000;
inline constexpr std::size_t kMaxPushBytes = 32u << 20;
inline constexpr std::size_t kMaxTextBytes = 1024;      // ids, names, hostnames, OS
inline constexpr std::size_t kMaxEvidenceBytes = 8192;  // a layer's evidence
inline constexpr std::size_t kMaxFacts = 512;           // per endpoint
inline constexpr std::size_t kMaxChecks = 8192;         // per endpoint
inline constexpr std::size_t kMaxOsNames = 256;         // per unit's 2290 counts

// Why a change or a push is refused: a stable code and the reason, Vietnamese first.
struct Problem {
  std::string code, vi, en;
};

// The kind of row a change touches; the rank orders a batch of changes so that every
// prefix of it leaves the parent's tree consistent (units before the rows in them).
enum class RowKind { Endpoint, Unit, Target, Layer, System, AlertCount, Report2290 };

RowKind rowKind(const v1::FederationChange& change);  // the change must have one set
bool isRemoval(const v1::FederationChange& change);
// The identity of the row: the same for an upsert and for its removal, distinct across
// kinds ("endpoint\x1fA1", "target\x1fBS\x1fnd85\x1fav"). Fields joined by U+001F, which
// checkChange() refuses inside them.
std::string changeKey(const v1::FederationChange& change);
// The removal of the row an upsert describes.
v1::FederationChange removalOf(const v1::FederationChange& upsert);
// The unit the row belongs to (a unit's own code for a unit); empty for a removal.
std::string unitOf(const v1::FederationChange& change);

// nullopt when the change keeps every bound and syntax (codes, layer 1-4, level 1-5, unit
// kind, 2290 counts that add up); otherwise the problem, naming the field.
std::optional<Problem> checkChange(const v1::FederationChange& change);

// The same bytes for the same message, every time (digests of staged rows compare them).
std::string serialize(const google::protobuf::MessageLite& message);

}  // namespace posture::collector::federation
