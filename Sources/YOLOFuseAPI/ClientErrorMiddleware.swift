import Foundation
import HTTPTypes
import Hummingbird
import Logging
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
            // No operation input: the generated code could not decode the request, which is the client's fault.
            guard error.operationInput != nil else {
                let reason = "\(error.underlyingError)"
                let unsupported = reason.localizedCaseInsensitiveContains("content type")
                return APIError(unsupported ? .unsupportedMediaType : .badRequest, "the request could not be read: \(reason)").response()
            }
            // Anything else is ours: logged with the request id, answered without internals.
            Logger(label: "yolofuse.api").error("request \(RequestID.current) failed: \(error.underlyingError)")
            return InternalError.response()
        }
    }
}

/// The answer for a failure of ours: 500 with the request id to quote, nothing internal.
enum InternalError {
    static func response() -> Response {
        let body = (try? JSONEncoder().encode(["error": "internal error; quote request id \(RequestID.current) to support"])) ?? Data()
        return Response(status: .internalServerError, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
