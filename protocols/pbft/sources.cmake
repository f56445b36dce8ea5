list(APPEND KNHK_PROTOCOL_SOURCES
  pbft/messages.cpp pbft/config.cpp pbft/factory.cpp)
