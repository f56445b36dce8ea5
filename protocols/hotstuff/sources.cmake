list(APPEND KNHK_PROTOCOL_SOURCES
  hotstuff/messages.cpp hotstuff/config.cpp hotstuff/block_tree.cpp hotstuff/safety.cpp
  hotstuff/quorum_cert.cpp hotstuff/request_pool.cpp hotstuff/pacemaker.cpp
  hotstuff/block_sync.cpp hotstuff/proposal.cpp hotstuff/leader.cpp hotstuff/execution.cpp
  hotstuff/replica.cpp hotstuff/factory.cpp)
