#pragma once
// The compliance export as an Excel workbook (libxlsxwriter):
//   "Thông tin - About"      the metadata, one bilingual label per line;
//   "CT1 …", "CT2 …", …      one summary sheet per target (chỉ tiêu): each selected unit's
//                            value against the milestone in force, met / at risk / missed;
//   "Thiết bị - Endpoints"   one row per endpoint, one column per observed fact and per
//                            check, bilingual headers, frozen header row and autofilter.
// Numbers are numeric cells, times are date cells in Vietnam time (UTC+7), text is shared
// strings (UTF-8, newlines kept).
#include <filesystem>
#include <string>

#include "collector/export/export.h"

namespace posture::collector {

// Writes the workbook to `path` (directly; callers wanting atomicity write elsewhere and
// rename). Throws std::runtime_error with libxlsxwriter's reason on failure.
void writeXlsx(const ComplianceExport& e, const std::filesystem::path& path);
// The workbook's bytes (written through a private temporary file).
std::string renderXlsx(const ComplianceExport& e);

// Sheet names, for tests and the console: Excel's rules (at most 31 characters, none of
// []:*?/\), unique within the workbook.
inline constexpr const char* kXlsxAboutSheet = "Thông tin - About";
inline constexpr const char* kXlsxEndpointsSheet = "Thiết bị - Endpoints";
std::string xlsxTargetSheetName(std::size_t index, const ExportTarget& target);

}  // namespace posture::collector
