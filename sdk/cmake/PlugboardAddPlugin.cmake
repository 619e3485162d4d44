# plugboard_add_plugin(NAME <id> SOURCES <files...> MANIFEST <file.yaml> [OUTPUT_DIR <dir>])
#
# Builds a Plugboard plugin: a shared module that exports only plugboard_plugin_entry, with
# its manifest copied beside it as <id>.yaml, so OUTPUT_DIR can be used as a plugins directory
# as it is. The library is named libplugboard_<id>.so; the manifest's `library:` must say so.
# OUTPUT_DIR defaults to PLUGBOARD_PLUGIN_OUTPUT_DIR, else <build>/plugins.
set(_PLUGBOARD_SDK_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR} CACHE INTERNAL "where plugboard_exports.map lives")

function(plugboard_add_plugin)
  cmake_parse_arguments(PB "" "NAME;MANIFEST;OUTPUT_DIR" "SOURCES" ${ARGN})
  if(NOT PB_NAME OR NOT PB_SOURCES OR NOT PB_MANIFEST)
    message(FATAL_ERROR "plugboard_add_plugin: NAME, SOURCES and MANIFEST are required")
  endif()
  if(NOT PB_OUTPUT_DIR)
    if(PLUGBOARD_PLUGIN_OUTPUT_DIR)
      set(PB_OUTPUT_DIR ${PLUGBOARD_PLUGIN_OUTPUT_DIR})
    else()
      set(PB_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
    endif()
  endif()
  get_filename_component(manifest ${PB_MANIFEST} ABSOLUTE)

  set(target plugboard_plugin_${PB_NAME})
  add_library(${target} MODULE ${PB_SOURCES})
  target_link_libraries(${target} PRIVATE Plugboard::SDK Boost::json)
  # Only the entry symbol is visible: two plugins built against different library versions
  # (or the host's) never see each other's symbols.
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME plugboard_${PB_NAME}
    PREFIX lib
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${PB_OUTPUT_DIR})
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # Hidden visibility alone leaves the weak and unique symbols that libstdc++ and Boost
    # headers mark visible; the version script exports the entry symbol and nothing else.
    set(exports ${_PLUGBOARD_SDK_CMAKE_DIR}/plugboard_exports.map)
    target_link_options(${target} PRIVATE -Wl,--exclude-libs,ALL -Wl,--no-undefined
                        "LINKER:--version-script=${exports}")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${exports})
  endif()
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${manifest} ${PB_OUTPUT_DIR}/${PB_NAME}.yaml
    COMMENT "Placing manifest ${PB_NAME}.yaml beside its library")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${manifest})
endfunction()
