import Hummingbird
import NIOCore
import Synchronization

/// The connection of the current detection request, to ask whether its client has disconnected.
enum ClientConnection {
    @TaskLocal static var watcher: InputClosedWatcher?

    /// For the batcher: whether the current request's client is gone (never, outside a watched request).
    static var isClosedCheck: @Sendable () -> Bool {
        guard let watcher else { return { false } }
        return { watcher.closed }
    }
}

/// Detection requests learn whether their client has gone, so the batcher drops one that has before its
/// model run rather than computing an answer for nobody. The server allows half-closed connections, so a
/// client's close shows as end of input rather than an inactive channel: every connection's pipeline carries
/// an `InputClosedWatcher` (installed by the server, so a close before the request reaches here is seen too).
/// The keep-alive connection itself is left alone.
struct DisconnectMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, pathSegments(request.uri.path) == ["v1", "detect"],
              let watcher = try? await context.channel.pipeline.handler(type: InputClosedWatcher.self).get() else {
            return try await next(request, context)
        }
        return try await ClientConnection.$watcher.withValue(watcher) { try await next(request, context) }
    }
}

/// Passes everything through and notes the end of the peer's input or of the connection; one per connection.
/// `@unchecked Sendable`: the flag is atomic; the rest is NIO's, used on the channel's event loop.
final class InputClosedWatcher: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    private let flag = Atomic<Bool>(false)

    var closed: Bool { flag.load(ordering: .relaxed) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { flag.store(true, ordering: .relaxed) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        flag.store(true, ordering: .relaxed)
        context.fireChannelInactive()
    }
}
