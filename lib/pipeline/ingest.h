// The ingestion loop of one source: pulls batches from its follower, hands each to its
// rules (the matcher), and commits the batch's end so that only processed lines are ever
// checkpointed. Runs on the follower's executor until the follower is stopped.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "match/source_matcher.h"
#include "tail/follower.h"

namespace logpulse::pipeline {

boost::asio::awaitable<void> ingest(tail::Follower& follower, match::SourceMatcher& matcher);

}  // namespace logpulse::pipeline
