# Warnings are errors for our code. Generated protobuf code gets its own flags
# (see cmake/Dependencies.cmake) because we do not control it.
set(POSTURE_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)

if(POSTURE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
add_compile_options(-include utility)

# Apply our warning set to a target of ours.
function(posture_warnings target)
  target_compile_options(${target} PRIVATE ${POSTURE_WARNINGS})
endfunction()
