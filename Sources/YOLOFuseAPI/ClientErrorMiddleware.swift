import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIRuntime

/// Turns handler errors into the contract's JSON errors: `APIError` (and the errors it maps) with their
/// status, and requests the generated code cannot decode (wrong content type, malformed multipart or JSON)
/// as 4xx with what was wrong instead of a bare 500.
struct ClientErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServerError {
            if let mapped = APIError.from(error.underlyingError) { return mapped.response() }
            let reason = "\(error.underlyingError)"
            let unsupported = reason.localizedCaseInsensitiveContains("content type")
            return APIError(unsupported ? .unsupportedMediaType : .badRequest, "the request could not be read: \(reason)").response()
        }
    }
}
