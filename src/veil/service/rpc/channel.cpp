#include "veil/service/rpc/channel.h"

namespace veil::service {

std::shared_ptr<grpc::Channel> make_channel(const std::string& address,
                                            const std::optional<ClientTls>& tls) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  return grpc::CreateCustomChannel(address, channel_credentials(tls), args);
}

}  // namespace veil::service
