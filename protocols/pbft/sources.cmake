list(APPEND KNHK_PROTOCOL_SOURCES pbft/messages.cpp pbft/factory.cpp)
