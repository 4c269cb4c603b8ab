import Foundation
import Hummingbird

/// Refuses a body whose declared length is over the route's limit with 413 before reading any of it.
/// Bodies without a length are capped part by part as they stream in.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The largest body for a path, or nil for no declared-length check.
    let limit: @Sendable (String) -> Int?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap(Int.init), let limit = limit(request.uri.path), declared > limit {
            return APIError(.contentTooLarge, "the request body (\(declared) bytes) is larger than \(limit) bytes").response()
        }
        return try await next(request, context)
    }
}
