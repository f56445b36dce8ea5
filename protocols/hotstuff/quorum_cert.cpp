#include "protocols/hotstuff/quorum_cert.hpp"

namespace knhk::hotstuff {

std::string_view to_string(QcCheck c) {
  switch (c) {
    case QcCheck::ok:
      return "qc_ok";
    case QcCheck::too_few_votes:
      return "qc_too_few_votes";
    case QcCheck::unknown_voter:
      return "qc_unknown_voter";
    case QcCheck::unsorted_voters:
      return "qc_duplicate_voter";
    case QcCheck::bad_signature:
      return "qc_bad_signature";
  }
  return "qc_invalid";
}

QcCheck check_qc(const QuorumCert& qc, const HotStuffConfig& cfg, const Verifier& verifier,
                 const Vote* own_vote) {
  if (qc == genesis_qc()) return QcCheck::ok;
  if (qc.votes.size() < cfg.quorum) return QcCheck::too_few_votes;
  const Bytes body = vote_body(qc.view, qc.block);
  const bool own_applies = own_vote && own_vote->view == qc.view && own_vote->block == qc.block;
  for (std::size_t i = 0; i < qc.votes.size(); ++i) {
    const VoteShare& s = qc.votes[i];
    if (s.voter.value >= cfg.n) return QcCheck::unknown_voter;
    if (i > 0 && !(qc.votes[i - 1].voter < s.voter)) return QcCheck::unsorted_voters;
    if (own_applies && s.voter == own_vote->voter && s.signature == own_vote->signature) continue;
    if (!verifier.verify(Principal::replica(s.voter), body, s.signature))
      return QcCheck::bad_signature;
  }
  return QcCheck::ok;
}

void QcCache::add(const QuorumCert& qc) {
  proven_.insert({qc.view, qc.block});
  // Bounded: forget the oldest statements; they are only an optimisation.
  while (proven_.size() > 4096) proven_.erase(proven_.begin());
}

VoteCollector::Outcome VoteCollector::add(const Vote& v, std::uint32_t quorum) {
  Outcome out;
  auto [it, first] = voted_.try_emplace({v.view, v.voter}, v.block);
  if (!first && it->second != v.block) {
    out.kind = Outcome::Kind::equivocation;
    out.other_block = it->second;
    return out;
  }
  auto& shares = shares_[{v.view, v.block}];
  if (!shares.emplace(v.voter, v.signature).second) {
    out.kind = Outcome::Kind::duplicate;
    return out;
  }
  if (shares.size() < quorum || formed_.count({v.view, v.block})) return out;
  formed_.insert({v.view, v.block});
  QuorumCert qc{v.view, v.block, {}};
  // std::map iterates voters in increasing id order: the canonical QC encoding.
  for (const auto& [voter, sig] : shares) {
    if (qc.votes.size() == quorum) break;
    qc.votes.push_back(VoteShare{voter, sig});
  }
  out.kind = Outcome::Kind::formed;
  out.qc = std::move(qc);
  return out;
}

void VoteCollector::prune_below(View view) {
  auto drop_map = [&](auto& m) {
    for (auto it = m.begin(); it != m.end() && it->first.first < view;) it = m.erase(it);
  };
  drop_map(shares_);
  drop_map(voted_);
  for (auto it = formed_.begin(); it != formed_.end() && it->first < view;) it = formed_.erase(it);
}

}  // namespace knhk::hotstuff
