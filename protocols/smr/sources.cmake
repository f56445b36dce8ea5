list(APPEND KNHK_PROTOCOL_SOURCES smr/application.cpp smr/kv.cpp smr/bank.cpp
  smr/state_machine.cpp smr/snapshot.cpp)
