list(APPEND KNHK_PROTOCOL_SOURCES smr/application.cpp smr/state_machine.cpp)
