// posture-agent: the command table; the commands are in agent/cli.cpp.
#include "agent/cli.h"
#include "common/util/args.h"

int main(int argc, char** argv) {
  return posture::util::runCommands("posture-agent", posture::agent::kAgentUsage, argc, argv,
                                    posture::agent::agentCommands());
}
