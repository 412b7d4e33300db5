# veil_layer(NAME SOURCES ... DEPS ...): one static library per DESIGN.md layer.
# Headers live beside the sources under src/veil/<layer>/ and are included as
# "veil/<layer>/x.h"; a layer links only the layers below it.
function(veil_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS" ${ARGN})
  add_library(veil_${name} STATIC ${L_SOURCES})
  add_library(veil::${name} ALIAS veil_${name})
  target_include_directories(veil_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(veil_${name} PUBLIC ${L_DEPS})
endfunction()
