import Hummingbird
import NIOCore

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
