# veil_layer(NAME DEPS ...): one static library per DESIGN.md layer, built from
# every .cpp in src/veil/<NAME>/. Headers live beside the sources and are
# included as "veil/<NAME>/x.h"; a layer links only the layers below it.
# Files named *_avx2.cpp are compiled with AVX2 enabled; callers must pick
# them at run time through a CPU check, never unconditionally.
function(veil_layer name)
  cmake_parse_arguments(L "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  file(GLOB avx2_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_avx2.cpp)
  add_library(veil_${name} STATIC ${sources})
  add_library(veil::${name} ALIAS veil_${name})
  if(avx2_sources)
    set_source_files_properties(${avx2_sources} PROPERTIES COMPILE_OPTIONS "-mavx2;-mbmi2;-mfma")
  endif()
  target_include_directories(veil_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(veil_${name} PUBLIC ${L_DEPS})
  if(VEIL_SANITIZE AND name IN_LIST VEIL_SANITIZE_HOT_LAYERS)
    target_compile_options(veil_${name} PRIVATE -O2)
  endif()
endfunction()

# veil_layer_test(NAME DEPS ...): one gtest binary from tests/<NAME>/test_*.cpp.
function(veil_layer_test name)
  cmake_parse_arguments(T "" "" "DEPS;LABELS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/test_*.cpp)
  add_executable(test_${name} ${sources})
  target_link_libraries(test_${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main)
  target_include_directories(test_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  gtest_discover_tests(test_${name} DISCOVERY_TIMEOUT 120 PROPERTIES LABELS "${T_LABELS}")
endfunction()
