// The block tree's pruning (protocols/hotstuff/block_tree.hpp): forks at or below the
// committed root's view go, blocks above it stay, committed blocks are kept for block
// sync within the retention window only.
#include <catch2/catch.hpp>

#include "chain_builder.hpp"
#include "protocols/hotstuff/block_tree.hpp"

using namespace knhk;
using namespace knhk::hotstuff;

namespace {

Digest add(BlockTree& t, const Block& b) {
  Digest h = block_hash(b);
  t.insert(std::make_shared<const Block>(b), h, batch_digest(b.batch));
  REQUIRE(t.find(h)->batch_digest == batch_digest(b.batch));
  return h;
}

}  // namespace

TEST_CASE("block tree: committing prunes forks at or below the root's view only",
          "[hotstuff][block_tree]") {
  test::ChainBuilder c(4);
  BlockTree t;
  Block b1 = c.block(genesis_block(), View(1));
  Block b2 = c.block(b1, View(2));
  Block fork2 = c.block(b1, View(3));  // a sibling of b2's branch, view 3
  Block b4 = c.block(b2, View(4));
  Block twin4 = c.block(b1, View(4));      // an equivocating twin of b4: same view
  Block fork_high = c.block(b1, View(6));  // view above the root to be: kept
  Digest h1 = add(t, b1), h2 = add(t, b2), hf = add(t, fork2), h4 = add(t, b4), ht = add(t, twin4),
         hh = add(t, fork_high);
  REQUIRE(t.size() == 7);
  t.mark_committed(h1, 100);
  CHECK(t.size() == 7);  // nothing uncommitted at or below view 1
  t.mark_committed(h2, 100);
  CHECK(t.contains(hf));  // view 3 > 2: may still be extended
  t.mark_committed(h4, 100);
  CHECK_FALSE(t.contains(hf));  // view 3 <= 4: can never commit
  CHECK_FALSE(t.contains(ht));  // the root's own view
  CHECK(t.contains(hh));
  CHECK(t.contains(h1));
  CHECK(t.contains(h2));
  CHECK(t.root() == h4);
  // Inserting the same block twice changes nothing; a later fork below the root goes at
  // the next commit.
  add(t, b4);
  Block late = c.block(b2, View(5));
  Digest hl = add(t, late);
  Block b7 = c.block(b4, View(7));
  Digest h7 = add(t, b7);
  t.mark_committed(h7, 100);
  CHECK_FALSE(t.contains(hl));
  CHECK_FALSE(t.contains(hh));  // view 6 <= 7
  CHECK(t.contains(h4));
}

TEST_CASE("block tree: committed blocks beyond the retention window are dropped",
          "[hotstuff][block_tree]") {
  test::ChainBuilder c(4);
  BlockTree t;
  std::vector<Digest> hashes;
  Block parent = genesis_block();
  for (std::uint64_t v = 1; v <= 10; ++v) {
    Block b = c.block(parent, View(v));
    hashes.push_back(add(t, b));
    t.mark_committed(hashes.back(), 3);
    parent = b;
  }
  CHECK(t.size() == 4);  // the root and 3 before it
  for (std::size_t i = 0; i < hashes.size(); ++i) CHECK(t.contains(hashes[i]) == (i >= 6));
  CHECK(t.ancestors(hashes.back(), 10).size() == 4);
}
