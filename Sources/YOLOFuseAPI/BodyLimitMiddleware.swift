import Foundation
import Hummingbird

/// Refuses a body whose declared length is over the route's limit with 413 before reading any of it; a body
/// without a declared length is counted as it streams in and stopped at the limit.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The largest body for a path.
    let limit: @Sendable (String) -> Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let limit = limit(request.uri.path)
        if let declared = request.headers[.contentLength].flatMap(Int.init) {
            guard declared <= limit else {
                return APIError(.contentTooLarge, "the request body (\(declared) bytes) is larger than \(limit) bytes").response()
            }
            return try await next(request, context)
        }
        var limited = request
        limited.body = RequestBody(asyncSequence: CappedBody(base: request.body, limit: limit))
        return try await next(limited, context)
    }
}

/// A body that throws 413 once more than `limit` bytes have come through.
struct CappedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int
        var seen = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await base.next() else { return nil }
            seen += chunk.readableBytes
            guard seen <= limit else { throw APIError(.contentTooLarge, "the request body is larger than \(limit) bytes") }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), limit: limit) }
}
