#pragma once
// The schema of the collector's database, as numbered migrations (migrations.cpp).
#include <string_view>
#include <vector>

namespace posture::collector {

// In order; openDatabase() applies those the database has not seen yet.
const std::vector<std::string_view>& migrations();

}  // namespace posture::collector
