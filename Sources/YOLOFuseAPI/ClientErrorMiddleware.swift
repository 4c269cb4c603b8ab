import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIRuntime

/// Requests the generated server code cannot decode (wrong content type, malformed multipart or JSON) are the
/// client's fault: answer 4xx with what was wrong instead of a bare 500.
struct ClientErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServerError {
            let reason = "\(error.underlyingError)"
            let status: HTTPResponse.Status = reason.localizedCaseInsensitiveContains("content type") ? .unsupportedMediaType : .badRequest
            let body = try JSONEncoder().encode(["error": "the request could not be read: \(reason)"])
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
