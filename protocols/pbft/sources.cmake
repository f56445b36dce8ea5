list(APPEND KNHK_PROTOCOL_SOURCES
  pbft/messages.cpp pbft/config.cpp pbft/replica.cpp pbft/checkpoint.cpp pbft/view_change.cpp
  pbft/state_transfer.cpp pbft/recovery.cpp pbft/tick.cpp pbft/factory.cpp)
