// The export bound: one build in progress per user, a small total; refusals say whose and
// when to retry; places come back.
#include "collector/console/export_gate.h"

#include <doctest/doctest.h>

#include <optional>

using namespace posture::collector::console;

TEST_CASE("one export in progress per user and two in all; places come back") {
  ExportGate gate({1, 2, 5});
  auto first = gate.admit("lan");
  REQUIRE(std::holds_alternative<ExportGate::Ticket>(first));
  auto again = gate.admit("lan");
  REQUIRE(std::holds_alternative<ExportGate::Refused>(again));
  CHECK(std::get<ExportGate::Refused>(again).ownExport);
  CHECK(std::get<ExportGate::Refused>(again).retryAfter == 5);
  CHECK(gate.inProgress("lan") == 1);

  auto other = gate.admit("hoa");
  REQUIRE(std::holds_alternative<ExportGate::Ticket>(other));
  auto third = gate.admit("minh");
  REQUIRE(std::holds_alternative<ExportGate::Refused>(third));
  CHECK_FALSE(std::get<ExportGate::Refused>(third).ownExport);  // everybody's places are taken
  CHECK(gate.inProgress() == 2);

  {
    auto moved = std::move(std::get<ExportGate::Ticket>(first));  // a moved ticket is released once
  }
  CHECK(gate.inProgress("lan") == 0);
  CHECK(gate.inProgress() == 1);
  CHECK(std::holds_alternative<ExportGate::Ticket>(gate.admit("lan")));
  CHECK(gate.inProgress() == 1);  // that temporary ticket went at once
}

TEST_CASE("a ticket may outlive its gate (a request abandoned at shutdown)") {
  std::optional<ExportGate::Ticket> ticket;
  {
    ExportGate gate;
    auto admitted = gate.admit("lan");
    REQUIRE(std::holds_alternative<ExportGate::Ticket>(admitted));
    ticket.emplace(std::move(std::get<ExportGate::Ticket>(admitted)));
  }
  ticket.reset();  // gives back into counters it keeps alive (the sanitizer build checks)
  CHECK_FALSE(ticket);
}
