# cmake -DSOURCE_DIR=... -DIN=version.cc.in -DOUT=version.cc -DCUOFENG_VERSION=x.y.z -P generate.cmake
# Writes OUT with the commit of SOURCE_DIR; configure_file leaves OUT alone
# when nothing changed, so an unchanged commit rebuilds nothing.
set(CUOFENG_COMMIT "unknown")
find_program(GIT_PROGRAM git)
if(GIT_PROGRAM)
  execute_process(
    COMMAND ${GIT_PROGRAM} -C ${SOURCE_DIR} describe --always --dirty
    OUTPUT_VARIABLE described
    OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET
    RESULT_VARIABLE result)
  if(result EQUAL 0 AND NOT described STREQUAL "")
    set(CUOFENG_COMMIT "${described}")
  endif()
endif()
configure_file(${IN} ${OUT} @ONLY)
