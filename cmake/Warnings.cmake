# Our warning set. Warnings are errors only with POSTURE_WERROR=ON, which the test command
# sets: a user's build with another compiler or level (a Release build at -O3) is not
# stopped by a new warning. Generated protobuf code gets its own flags
# (see cmake/Dependencies.cmake) because we do not control it.
# -Wmismatched-new-delete: GCC 12 misreports Asio's coroutine frame allocator
# (awaitable_frame_base::operator delete) as mismatched; GCC bug 109224.
set(POSTURE_WARNINGS -Wall -Wextra -Wno-missing-field-initializers -Wno-mismatched-new-delete)
if(POSTURE_WERROR)
  list(APPEND POSTURE_WARNINGS -Werror)
endif()

if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13 AND
   CMAKE_BUILD_TYPE STREQUAL "Release")
  # GCC 12 at -O3 reports false overlaps in std::string appends (-Wrestrict, GCC bug
  # 105651), in our code and in libstdc++'s own headers.
  list(APPEND POSTURE_WARNINGS -Wno-restrict)
endif()

if(WIN32)
  # mingw-w64 GCC 12 at -O3 reports false overlaps in std::string too (GCC bug 105651).
  list(APPEND POSTURE_WARNINGS -Wno-restrict)
endif()

if(POSTURE_SANITIZE)
  # -O1 keeps the sanitizer build quick to compile. -Wrestrict: GCC 12 reports false
  # overlaps in std::string under -fsanitize (GCC bug 105651).
  add_compile_options(-O1 -fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  # -Wmaybe-uninitialized: the instrumentation makes GCC 12 misjudge std::function and
  # std::regex internals.
  list(APPEND POSTURE_WARNINGS -Wno-restrict -Wno-maybe-uninitialized)
  add_link_options(-fsanitize=address,undefined)
endif()

# Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
add_compile_options(-include utility)

# Apply our warning set to a target of ours.
function(posture_warnings target)
  target_compile_options(${target} PRIVATE ${POSTURE_WARNINGS})
endfunction()
