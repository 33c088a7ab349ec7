# Included by Dependencies.cmake and WindowsDependencies.cmake once posture_boost exists.
# A failed BOOST_ASSERT, in builds with assertions on, goes through our handler: it lets the
# one assertion known to be wrong in Beast 1.74 pass (see the file) and aborts on any other.
add_library(posture_boost_assert STATIC ${PROJECT_SOURCE_DIR}/common/net/boost_assert.cpp)
target_link_libraries(posture_boost_assert PRIVATE Boost::boost)
target_compile_definitions(posture_boost_assert PRIVATE BOOST_ENABLE_ASSERT_DEBUG_HANDLER)
posture_warnings(posture_boost_assert)
target_link_libraries(posture_boost INTERFACE posture_boost_assert)
