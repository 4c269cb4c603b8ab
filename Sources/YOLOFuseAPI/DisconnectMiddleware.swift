import Hummingbird
import NIOCore
import Synchronization

/// The request context of the API: Hummingbird's basics plus the connection, so a handler can tell whether
/// its client is still there.
struct APIRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Whether the client of the current request has disconnected (false outside a request).
enum ClientConnection {
    @TaskLocal static var isClosed: @Sendable () -> Bool = { false }
}

/// Detection requests learn whether their client has gone, so the batcher drops one that has before its
/// model run rather than computing an answer for nobody. The server allows half-closed connections, so a
/// client's close shows as end of input rather than an inactive channel: a watcher on the connection's
/// pipeline notes it for as long as the request runs. The keep-alive connection itself is left alone.
struct DisconnectMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, pathSegments(request.uri.path) == ["v1", "detect"] else { return try await next(request, context) }
        let channel = context.channel
        let watcher = InputClosedWatcher()
        try await channel.pipeline.addHandler(watcher, position: .first).get()
        defer { channel.pipeline.removeHandler(watcher, promise: nil) }
        return try await ClientConnection.$isClosed.withValue({ watcher.closed || !channel.isActive }) { try await next(request, context) }
    }
}

/// Passes everything through and notes the end of the peer's input.
/// `@unchecked Sendable`: the flag is atomic; the rest is NIO's, used on the channel's event loop.
private final class InputClosedWatcher: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
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
