list(APPEND KNHK_PROTOCOL_SOURCES hotstuff/messages.cpp hotstuff/factory.cpp)
