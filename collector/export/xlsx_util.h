#pragma once
// Internal to collector/export/ (it names libxlsxwriter, which only this module links): what
// both workbooks (xlsx.cpp, xlsx_table.cpp) write with.
#include <xlsxwriter.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace posture::collector {

inline constexpr std::size_t kXlsxMaxCellBytes = 32767;  // Excel's limit per cell

// std::runtime_error "XLSX: cannot WHAT: reason" unless err is LXW_NO_ERROR.
void xlsxCheck(lxw_error err, const char* what);
// A Unix time as a date cell's value in Vietnam time (UTC+7).
lxw_datetime xlsxVietnamTime(std::int64_t unix);
// The bytes of a workbook that `write` writes to the path it is given: a file in a private
// (0700) temporary directory, removed afterwards.
std::string xlsxBytes(const std::function<void(const std::filesystem::path&)>& write);

}  // namespace posture::collector
